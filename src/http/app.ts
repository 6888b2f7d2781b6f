/**
 * createApp: the Hono application around any FeatureCache. Everything that can
 * be computed once (schemas, auth digests, OpenAPI text, metric children) is
 * computed here, not per request. Middleware chain per request: one outer
 * middleware (request id, timing, metrics, access log) + one per-route guard
 * (auth, body limit, validation) + the handler.
 */
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { pino } from 'pino';
import type { ServiceConfig } from '../config.js';
import type { FeatureCache, HealthReport } from '../types.js';
import { createAuthenticator } from './auth.js';
import { corsMiddleware } from './cors.js';
import { hostGuard } from './host-guard.js';
import { originGuard } from './origin-guard.js';
import { registerDocsPage } from './docs-page.js';
import { registerUi } from './ui/routes.js';
import { ApiError, HttpErrorCodes, toErrorAnswer } from './errors.js';
import type { HttpMetrics } from './metrics.js';
import { readBody } from './negotiate.js';
import { buildOpenApi } from './openapi.js';
import { validationError, type AnyRoute, type AppEnv, type RouteDeps } from './route.js';
import type { RouteAccess } from './auth.js';
import { buildImageSchemas } from './image-schemas.js';
import type { ImageService } from './images.js';
import { featuresRoutes } from './routes/features.js';
import { similarRoutes } from './routes/similar.js';
import { provenanceRoutes } from './routes/provenance.js';
import { provenanceSearchRoutes } from './routes/provenance-search.js';
import { readUpload, uploadKind } from './upload.js';
import { adminRoutes } from './routes/admin.js';
import { batchRoutes } from './routes/batch.js';
import { groupRoutes } from './routes/group.js';
import { imageRoutes } from './routes/image.js';
import { probeRoutes } from './routes/probes.js';
import { buildSchemas } from './schemas.js';
import { guardHealth } from './health-guard.js';
import { clientAddressResolver } from './client-address.js';
import { declaredBodyLength, presetResponseHeader, requestHeader } from './node-io.js';

export interface AppDeps {
  cache: FeatureCache;
  config: ServiceConfig;
  logger: pino.Logger;
  metrics: HttpMetrics;
  /** Extraction and similarity (POST /analysis/features, /similar, /compare); absent: not served. */
  images?: ImageService;
  /** Largest max_distance of a similarity query (the index's maxRadius). @default 12 */
  maxRadius?: number;
}

export interface App {
  readonly hono: Hono<AppEnv>;
  readonly fetch: Hono<AppEnv>['fetch'];
  /** Readiness turns 503; new requests still get answered until the listener closes. */
  beginShutdown(): void;
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const NO_QUERY: Record<string, string> = Object.freeze({});

/** False when the URL has no query string, so parsing it can be skipped (the schema still runs on `{}`). */
function hasQuery(c: Context<AppEnv>): boolean {
  return c.req.url.includes('?');
}

/** Builds the app. All routes, limits and keys come from `config`. */
export function createApp({ cache, config, logger, metrics, images, maxRadius = 12 }: AppDeps): App {
  const hono = new Hono<AppEnv>();
  const auth = createAuthenticator(config.apiKeys, config.authFailureLimit);
  const clientOf = clientAddressResolver(config.trustedProxies);
  const schemas = buildSchemas({ maxBatch: config.maxBatch, maxImageIdBytes: config.maxImageIdBytes });
  let shuttingDown = false;
  const guardedHealth = (): Promise<HealthReport> => guardHealth(cache, config, metrics);
  const deps: RouteDeps = { cache, config, logger, metrics, schemas, guardedHealth, isShuttingDown: () => shuttingDown };
  if (images) deps.images = images;
  const imageSchemas = buildImageSchemas(schemas, { maxBatch: config.maxBatch, maxRadius, searchMaxLimit: config.images.searchMaxLimit });
  const debugEnabled = logger.isLevelEnabled('debug');

  // Outer middleware: request id, metrics and the access log.
  hono.use('*', async (c, next) => {
    const start = performance.now();
    // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- Hono types the middleware's input as `any`; the helpers read only headers
    const given = requestHeader(c, 'x-request-id');
    const requestId = given !== undefined && REQUEST_ID_RE.test(given) ? given : randomUUID();
    c.set('requestId', requestId);
    // Set before the handler runs, so every response carries it. Setting a header
    // after `next()` makes Hono copy the finished response through a
    // ReadableStream (a real undici Response), which cost ~3x on the hot paths.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- Hono types the middleware's input as `any`; the helpers read only headers
    presetResponseHeader(c, 'x-request-id', requestId);
    await next();
    const seconds = (performance.now() - start) / 1000;
    const status = c.res.status;
    const route = c.get('route') ?? 'unmatched';
    if (c.get('forwarded') !== true) metrics.observeRequest(c.req.method, route, status, seconds);
    // Access log: successes at debug (hot paths stay cheap at the default level), client errors at info.
    if (status >= 500) return; // logged with the error in onError
    if (status >= 400) logger.info({ reqId: requestId, method: c.req.method, route, status, ms: seconds * 1000 }, 'request rejected');
    else if (debugEnabled) logger.debug({ reqId: requestId, method: c.req.method, route, status, ms: seconds * 1000 }, 'request');
  });

  // Browser-facing guards (docs/HTTP.md, "Security"): Host, cross-site writes, CORS.
  for (const mw of [hostGuard({ authEnabled: auth.enabled, allowedHosts: config.allowedHosts }), originGuard(config.corsOrigins), corsMiddleware(config.corsOrigins)]) {
    if (mw !== undefined) hono.use('*', mw);
  }

  const routes: AnyRoute[] = [
    ...adminRoutes(deps),
    ...imageRoutes(deps),
    ...batchRoutes(deps),
    ...groupRoutes(deps),
    ...probeRoutes(deps),
    ...featuresRoutes(deps, imageSchemas),
    ...similarRoutes(deps, imageSchemas),
    ...provenanceRoutes(deps),
    ...provenanceSearchRoutes(deps),
  ];
  const tooLarge = () => {
    throw new ApiError(413, HttpErrorCodes.PAYLOAD_TOO_LARGE, `Request body exceeds ${config.maxBodyBytes} bytes`);
  };
  const streamingLimit = bodyLimit({ maxSize: config.maxBodyBytes, onError: tooLarge });
  // Hono's bodyLimit touches `c.req.raw.body`, which makes node-server build a web
  // stream for every body. With a Content-Length (node's parser guarantees the body
  // is exactly that long) the check is one comparison, and the body is then read
  // by node-server's direct path; chunked bodies still go through bodyLimit.
  const limit = async (c: Context<AppEnv>, next: () => Promise<void>) => {
    const declared = declaredBodyLength(c);
    // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- Hono types the middleware's input as `any`; the helpers read only headers
    if (declared === undefined) return streamingLimit(c, next);
    if (declared > config.maxBodyBytes) tooLarge();
    await next();
  };
  for (const r of routes) register(hono, r, limit);

  const openApiText = JSON.stringify(buildOpenApi(routes, { authEnabled: auth.enabled, publicMetrics: config.publicMetrics }));
  hono.get('/openapi.json', (c) => {
    c.set('route', '/openapi.json');
    return c.body(openApiText, 200, { 'content-type': 'application/json' });
  });
  registerDocsPage(hono);
  registerUi(hono, { config, auth, clientOf, ...(images ? { images } : {}), dispatch: (req) => Promise.resolve(hono.fetch(req)) });

  hono.notFound((c) => c.json({ success: false, error: { code: HttpErrorCodes.NOT_FOUND, message: 'Route not found' } }, 404));
  hono.onError((err, c) => {
    const a = toErrorAnswer(err);
    if (a.libraryCode !== undefined && a.status >= 500) metrics.cacheError(a.libraryCode);
    if (a.serverFault) {
      logger.error({ reqId: c.get('requestId'), method: c.req.method, route: c.get('route'), status: a.status, err }, 'request failed');
    }
    return c.json(a.body, a.status, a.headers);
  });

  function register(app: Hono<AppEnv>, r: AnyRoute, limitMw: typeof limit): void {
    const path = r.path.replace(/\{(\w+)\}/g, ':$1');
    const access = r.access === 'metrics' ? (config.publicMetrics ? 'public' : 'read') : r.access;
    if (!r.handle && !r.upload) throw new Error(`route ${r.method} ${r.path} has neither handle nor upload`);
    const guard = async (c: Context<AppEnv>, next: () => Promise<void>) => {
      c.set('route', r.path);
      auth.check(requestHeader(c, 'authorization'), access, clientOf(c));
      await next();
    };
    const handler = async (c: Context<AppEnv>) => {
      // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- AnyRoute erases each route's schema types; parse() validates at run time
      const params = r.params ? parse(r.params, c.req.param(), 'path') : undefined;
      if (r.upload && (!r.handle || isUpload(c))) return handleUpload(c, r, params);
      // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- AnyRoute erases each route's schema types; parse() validates at run time
      const query = r.query ? parse(r.query, hasQuery(c) ? c.req.query() : NO_QUERY, 'query') : undefined;
      // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- AnyRoute erases each route's schema types; parse() validates at run time
      const body = r.body ? parse(r.body, await readBody(c), 'body') : undefined;
      return r.handle!(c, { params, query, body });
    };
    // uploads are read with their own limit (FEATCACHE_MAX_IMAGE_BYTES) by readUpload
    const bodyLimitMw = r.upload ? (c: Context<AppEnv>, next: () => Promise<void>) => (isUpload(c) ? next() : limitMw(c, next)) : limitMw;
    if (r.body) app.on(r.method.toUpperCase(), path, guard, bodyLimitMw, handler);
    else app.on(r.method.toUpperCase(), path, guard, handler);
  }

  /** Reads the image and its text fields, checks the upload's scope, runs the upload handler. */
  async function handleUpload(c: Context<AppEnv>, r: AnyRoute, params: unknown): Promise<Response> {
    const up = r.upload!;
    const query = hasQuery(c) ? c.req.query() : NO_QUERY;
    const checkScope = (fields: unknown) => {
      const needed: RouteAccess | undefined = up.access?.(fields);
      if (needed !== undefined) auth.check(requestHeader(c, 'authorization'), needed, clientOf(c));
    };
    let fields: unknown;
    const raw = uploadKind(requestHeader(c, 'content-type')) === 'raw';
    if (raw) {
      // the fields are in the query: validate and authorise before reading the image
      // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- AnyRoute erases each route's schema types; parse() validates at run time
      fields = up.fields ? parse(up.fields, query, 'query') : undefined;
      checkScope(fields);
    }
    const upload = await readUpload(c, config.images.maxImageBytes, query, up.files);
    if (!raw) {
      // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- AnyRoute erases each route's schema types; parse() validates at run time
      fields = up.fields ? parse(up.fields, upload.fields, 'form') : undefined;
      checkScope(fields);
    }
    return up.handle(c, { params, fields, image: upload.bytes, files: upload.files });
  }

  return {
    hono,
    fetch: hono.fetch,
    beginShutdown() {
      shuttingDown = true;
    },
  };
}

/** True when the body is an uploaded image (multipart/form-data or image/*). */
function isUpload(c: Context<AppEnv>): boolean {
  return uploadKind(requestHeader(c, 'content-type')) !== undefined;
}

function parse(
  schema: { safeParse(v: unknown): { success: true; data: unknown } | { success: false; error: import('zod').ZodError } },
  value: unknown,
  where: 'path' | 'query' | 'body' | 'form',
): unknown {
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(r.error, where);
  return r.data;
}
