#!/usr/bin/env bash
# One-time set-up that `npm start` and `npm test` run first (as pre-scripts).
#   scripts/setup.sh test   npm dependencies + redis-server, redis-sentinel, redis-cli
#                           (the tests start standalone, Sentinel and Cluster topologies)
#                           + chromium (the browser-origin and dashboard tests drive /usr/bin/chromium)
#                           + python3 with requests, msgpack, numpy (the Python client's tests,
#                           test/clients/python.test.ts; Debian's packages, run by /usr/bin/python3)
#   scripts/setup.sh start  npm dependencies + redis-server, only when no Redis is
#                           configured (REDIS_URL / REDIS_SENTINELS / REDIS_CLUSTER_NODES)
# Missing Redis binaries are installed from the OS packages when running as root
# with apt-get; otherwise the script says what to install and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-test}"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "featcache setup: installing npm dependencies"
  npm ci --no-audit --no-fund
fi

missing=()
if [ "$mode" = "start" ]; then
  if [ -n "${REDIS_URL:-}${REDIS_SENTINELS:-}${REDIS_CLUSTER_NODES:-}" ]; then exit 0; fi
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
else
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
  command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl) # certificates for the Redis TLS tests
  "${FEATCACHE_PYTHON:-/usr/bin/python3}" -c 'import requests, msgpack, numpy' >/dev/null 2>&1 || missing+=(python3-client)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

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
      *) packages+=(redis-server redis-sentinel redis-tools) ;; # any missing Redis binary: all three (apt ignores repeats)
    esac
  done
  apt-get install -y -qq "${packages[@]}" >/dev/null
  # the Debian package may start a system redis on 6379; featcache never needs it
  (service redis-server stop >/dev/null 2>&1 || true)
else
  echo "featcache setup: ${missing[*]} not found." >&2
  echo "  Install Redis 7 (Debian/Ubuntu: sudo apt-get install redis-server redis-sentinel redis-tools;" >&2
  echo "  macOS: brew install redis), or run the service against an existing Redis with REDIS_URL." >&2
  echo "  The tests also need Chromium at /usr/bin/chromium (Debian/Ubuntu: sudo apt-get install chromium)" >&2
  echo "  python3 with requests, msgpack and numpy (sudo apt-get install python3-requests python3-msgpack python3-numpy)" >&2
  echo "  and openssl (sudo apt-get install openssl)." >&2
  exit 1
fi
