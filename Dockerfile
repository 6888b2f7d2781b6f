# featcache HTTP service (docs/DEPLOY.md).
#   docker build -t featcache .
#   docker run -p 8000:8000 -e REDIS_URL=redis://redis-host:6379 -e FEATCACHE_API_KEYS=<key>:write featcache
# Two stages on the same Debian (glibc) Node 20 slim image, so the prebuilt native
# binaries npm installs in the build stage (sharp's libvips, lz4-napi) are the ones
# the run stage loads. The image holds no redis-server: point it at a Redis
# (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# dependencies first: this layer is rebuilt only when the lockfile changes
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build \
 && rm -f dist/.tsbuildinfo \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# what the npm package ships (package.json "files"), with its production dependencies
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY redis ./redis
COPY scripts/start-redis.sh scripts/stop-redis.sh ./scripts/
# fail the build, not the first request, when sharp's or lz4's native binary does not load here
RUN node --input-type=module -e "import sharp from 'sharp'; import { compressSync, uncompressSync } from 'lz4-napi'; \
const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer(); \
if ((await sharp(png).metadata()).width !== 8) throw new Error('sharp'); \
const b = Buffer.alloc(4096, 7); if (!uncompressSync(compressSync(b)).equals(b)) throw new Error('lz4');"
# listen beyond loopback: the service then requires FEATCACHE_API_KEYS (docs/HTTP.md)
ENV HOST=0.0.0.0 \
    PORT=8000
USER node
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself as PID 1 (not npm start, which runs the set-up script): SIGTERM reaches the service's graceful shutdown
CMD ["node", "dist/server.js"]
