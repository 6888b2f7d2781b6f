/**
 * featcache/server — the HTTP service as a library, for embedding in an
 * existing Hono or Node server (docs/HTTP.md, "Embedding"):
 *
 *   const service = await createServiceApp(loadConfig(process.env));
 *   honoApp.route('/features', service.app.hono);          // Hono
 *   http.createServer(getRequestListener(service.app.fetch)) // node:http
 *
 * or startServer() for a listening server, runService() for the whole
 * process (signals, FEATCACHE_WORKERS) as `featcache serve` runs it.
 */
export { createServiceApp, runService, startServer } from './server.js';
export type { RunningServer, ServiceApp, StartOptions } from './server.js';
export { ConfigError, loadBackendConfig, loadConfig, toFeatureCacheOptions } from './config.js';
export type { ApiKey, BackendConfig, ImageConfig, RedisConfig, ServiceConfig } from './config.js';
export { openBackend } from './backend.js';
export type { Backend, BackendOptions } from './backend.js';
export type { App } from './http/app.js';
