#!/usr/bin/env bash
# Estimates the container image's size without a Docker engine, and checks that the
# run stage's content works: production dependencies only (`npm ci --omit=dev`, as
# the Dockerfile's build stage leaves them after `npm prune --omit=dev`), plus dist.
#   1. a temp dir with package.json + package-lock.json: npm ci --omit=dev; du node_modules
#   2. dist built by tsc into it (without .tsbuildinfo); du dist
#   3. sharp and lz4-napi loaded and used from there, then `node dist/server.js` started
#      against a private redis-server until /readyz answers 200
# The base image (node:20-bookworm-slim) cannot be pulled here: its size is the
# figure given in docs/DEPLOY.md, so the total is an estimate.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tmp=$(mktemp -d /tmp/featcache-image-XXXXXX)
redis_pid=""; svc_pid=""
cleanup() {
  [ -n "$svc_pid" ] && kill "$svc_pid" 2>/dev/null || true
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

cp package.json package-lock.json "$tmp/"
(cd "$tmp" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >/dev/null)
npx tsc -p tsconfig.json --outDir "$tmp/dist"
cp -r redis "$tmp/redis"

nm=$(du -sb "$tmp/node_modules" | cut -f1)
dist=$(du -sb "$tmp/dist" | cut -f1)
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
echo "node_modules (npm ci --omit=dev): $(mb "$nm")"
echo "dist:                             $(mb "$dist")"
echo "largest packages:"
(cd "$tmp/node_modules" && du -sb -- * @*/* 2>/dev/null | sort -rn | head -8 | awk '{ printf "  %-40s %.1f MB\n", $2, $1 / 1e6 }')

cd "$tmp"
node --input-type=module -e "import sharp from 'sharp'; import { compressSync, uncompressSync } from 'lz4-napi';
const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer();
if ((await sharp(png).metadata()).width !== 8) throw new Error('sharp');
const b = Buffer.alloc(4096, 7); if (!uncompressSync(compressSync(b)).equals(b)) throw new Error('lz4');
console.log('native binaries: sharp ' + sharp.versions.vips + ' (libvips), lz4-napi: ok');"

port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
rport=$(port); hport=$(port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" >/dev/null &
redis_pid=$!
REDIS_URL="redis://127.0.0.1:$rport" HOST=0.0.0.0 PORT="$hport" FEATCACHE_API_KEYS=image-estimate-key-0123456789:read LOG_LEVEL=warn \
  node dist/server.js &
svc_pid=$!
for _ in $(seq 1 150); do
  if node -e "fetch('http://127.0.0.1:$hport/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
    echo "service from the pruned tree: /readyz 200"
    exit 0
  fi
  sleep 0.2
done
echo "service from the pruned tree did not become ready" >&2
exit 1
