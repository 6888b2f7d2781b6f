#!/usr/bin/env bash
# Builds native/build/featcache-orb.node, the native ORB backend (native/orb.cc), against
# Debian 12's OpenCV 4.6 runtime libraries (libopencv-{core,imgproc,features2d}406).
# Headers: the system's when libopencv-dev is installed; otherwise the four -dev packages
# are downloaded (apt-get download, ~4 MB) and unpacked into native/build/opencv, never
# installed: installing them would pull ~150 packages (Qt, GDAL, ...) through dependencies.
# Node's own headers (the Node-API C interface) come with Node. No node-gyp, no npm package.
# Without the addon featcache uses OpenCV's WebAssembly build (same output, slower).
set -euo pipefail
cd "$(dirname "$0")"
out=build/featcache-orb.node
libdir=/usr/lib/x86_64-linux-gnu
mods=(core imgproc features2d)
headers=(core imgproc features2d flann) # features2d.hpp includes flann's headers

for m in "${mods[@]}"; do
  if [ ! -e "$libdir/libopencv_$m.so.406" ]; then
    echo "native ORB: $libdir/libopencv_$m.so.406 missing (apt-get install libopencv-$m""406)" >&2
    exit 1
  fi
done

inc=()
if [ -f /usr/include/opencv4/opencv2/features2d.hpp ]; then
  inc=(-I/usr/include/opencv4 -I/usr/include/x86_64-linux-gnu/opencv4)
else
  dev=build/opencv
  if [ ! -f "$dev/usr/include/opencv4/opencv2/features2d.hpp" ]; then
    mkdir -p build/debs "$dev"
    # the headers of the very version installed (the ABI the addon links against)
    version="$(dpkg-query -W -f='${Version}' libopencv-core406)"
    download() { (cd build/debs && apt-get download -qq -o APT::Sandbox::User=root $(printf "libopencv-%s-dev=$version " "${headers[@]}")); }
    download 2>/dev/null || { apt-get update -qq && download; } # no package lists yet: fetch them once
    for d in build/debs/*.deb; do dpkg -x "$d" "$dev"; done
    rm -rf build/debs
  fi
  inc=(-I"$dev/usr/include/opencv4" -I"$dev/usr/include/x86_64-linux-gnu/opencv4")
fi

node_inc="$(node -p 'require("path").resolve(process.execPath, "../../include/node")')"
[ -f "$node_inc/node_api.h" ] || { echo "native ORB: Node's headers not found at $node_inc" >&2; exit 1; }

mkdir -p build
g++ -std=c++17 -O2 -ffp-contract=off -fPIC -shared -fvisibility=hidden -Wall -Wextra \
  -I"$node_inc" "${inc[@]}" orb.cc -o "$out.tmp" \
  $(printf -- "-l:libopencv_%s.so.406 " "${mods[@]}")
mv "$out.tmp" "$out"
echo "native ORB: built native/$out"
