/**
 * GET /docs: Swagger UI served from the swagger-ui-dist package in node_modules
 * (no CDN, works offline), pointed at /openapi.json.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Hono } from 'hono';
import type { AppEnv } from './route.js';

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>featcache API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, persistAuthorization: false });`;

/** Registers /docs and its assets (read from disk once, on first use). */
export function registerDocsPage(app: Hono<AppEnv>): void {
  const dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, Uint8Array<ArrayBuffer>>();
  const asset = (name: string) => {
    let b = cache.get(name);
    if (b === undefined) {
      b = new Uint8Array(readFileSync(join(dir, name)));
      cache.set(name, b);
    }
    return b;
  };
  app.get('/docs', (c) => {
    c.set('route', '/docs');
    return c.html(PAGE);
  });
  app.get('/docs/init.js', (c) => {
    c.set('route', '/docs');
    return c.body(INIT, 200, { 'content-type': 'text/javascript; charset=utf-8' });
  });
  for (const [name, type] of Object.entries(ASSETS)) {
    app.get(`/docs/${name}`, (c) => {
      c.set('route', '/docs');
      return c.body(asset(name), 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
    });
  }
}
