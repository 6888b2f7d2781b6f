#!/usr/bin/env bash
# One-time set-up that `npm start` and `npm test` run first (as pre-scripts).
#   scripts/setup.sh test   npm dependencies + redis-server, redis-sentinel, redis-cli
#                           (the tests start standalone, Sentinel and Cluster topologies)
#                           + chromium (the browser-origin and dashboard tests drive /usr/bin/chromium)
#                           + python3 with requests, msgpack, numpy (the Python client's tests,
#                           test/clients/python.test.ts; Debian's packages, run by /usr/bin/python3)
#                           + the native ORB backend: OpenCV 4.6's runtime libraries (Debian's
#                           libopencv-{core,imgproc,features2d,flann}406) and the addon built
#                           by native/build.sh (the tests compare it with the WebAssembly build)
#   scripts/setup.sh start  npm dependencies + redis-server, only when no Redis is
#                           configured (REDIS_URL / REDIS_SENTINELS / REDIS_CLUSTER_NODES);
#                           builds the native ORB backend when OpenCV's libraries are there
#                           (without it ORB runs on OpenCV's WebAssembly build: same output, ~4x the CPU)
# Missing Redis binaries are installed from the OS packages when running as root
# with apt-get; otherwise the script says what to install and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-test}"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "featcache setup: installing npm dependencies"
  npm ci --no-audit --no-fund
fi

# The native ORB backend (native/): built when absent or older than its source.
native_addon=native/build/featcache-orb.node
opencv_libs=(libopencv-core406 libopencv-imgproc406 libopencv-features2d406 libopencv-flann406)
opencv_present() { [ -e /usr/lib/x86_64-linux-gnu/libopencv_features2d.so.406 ]; }
build_native() {
  if [ -f "$native_addon" ] && [ ! native/orb.cc -nt "$native_addon" ] && [ ! native/build.sh -nt "$native_addon" ]; then return 0; fi
  echo "featcache setup: building the native ORB backend (npm run build:native)"
  bash native/build.sh
}

missing=()
if [ "$mode" = "start" ]; then
  if opencv_present; then build_native || echo "featcache setup: native ORB backend not built; ORB runs on OpenCV's WebAssembly build" >&2; fi
  if [ -n "${REDIS_URL:-}${REDIS_SENTINELS:-}${REDIS_CLUSTER_NODES:-}" ]; then exit 0; fi
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
else
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
  command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl) # certificates for the Redis TLS tests
  "${FEATCACHE_PYTHON:-/usr/bin/python3}" -c 'import requests, msgpack, numpy' >/dev/null 2>&1 || missing+=(python3-client)
  opencv_present || missing+=(opencv)
fi
if [ ${#missing[@]} -eq 0 ]; then
  if [ "$mode" = "test" ]; then build_native; fi
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "featcache setup: installing ${missing[*]} from the OS packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  packages=()
  for p in "${missing[@]}"; do
    case "$p" in
      chromium) packages+=(chromium) ;;
      openssl) packages+=(openssl) ;;
      python3-client) packages+=(python3 python3-requests python3-msgpack python3-numpy) ;;
      opencv) packages+=("${opencv_libs[@]}") ;; # runtime libraries only (8 small packages); native/build.sh fetches the headers
      *) packages+=(redis-server redis-sentinel redis-tools) ;; # any missing Redis binary: all three (apt ignores repeats)
    esac
  done
  apt-get install -y -qq "${packages[@]}" >/dev/null
  # the Debian package may start a system redis on 6379; featcache never needs it
  (service redis-server stop >/dev/null 2>&1 || true)
  if [ "$mode" = "test" ]; then build_native; fi
else
  echo "featcache setup: ${missing[*]} not found." >&2
  echo "  Install Redis 7 (Debian/Ubuntu: sudo apt-get install redis-server redis-sentinel redis-tools;" >&2
  echo "  macOS: brew install redis), or run the service against an existing Redis with REDIS_URL." >&2
  echo "  The tests also need Chromium at /usr/bin/chromium (Debian/Ubuntu: sudo apt-get install chromium)" >&2
  echo "  python3 with requests, msgpack and numpy (sudo apt-get install python3-requests python3-msgpack python3-numpy)" >&2
  echo "  openssl (sudo apt-get install openssl)" >&2
  echo "  and OpenCV 4.6's libraries for the native ORB backend (sudo apt-get install ${opencv_libs[*]})." >&2
  exit 1
fi
