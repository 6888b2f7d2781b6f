/** OpenAPI 3.1 document generated from the route declarations (zod -> JSON Schema). */
import { z } from 'zod';
import type { AnyRoute, ResponseDoc } from './route.js';

const toSchema = (s: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any', reused: 'inline' }) as Record<string, unknown>;
  return rest;
};

type ObjectSchema = { properties?: Record<string, unknown>; required?: string[] };

function parameters(route: AnyRoute): unknown[] {
  const out: unknown[] = [];
  for (const [where, schema] of [['path', route.params], ['query', route.query]] as const) {
    if (!schema) continue;
    const js = toSchema(schema as z.ZodType, 'input') as ObjectSchema;
    for (const [name, prop] of Object.entries(js.properties ?? {})) {
      const p = prop as { description?: string };
      out.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: prop, description: p.description });
    }
  }
  // an upload's text fields travel in the query string with a raw image/* body (or as form fields)
  if (route.upload?.fields) {
    const js = toSchema(route.upload.fields as z.ZodType, 'input') as ObjectSchema;
    for (const [name, prop] of Object.entries(js.properties ?? {})) {
      const p = prop as { description?: string };
      const required = (js.required ?? []).includes(name) ? ' Required with a raw body unless sent as a form field.' : '';
      out.push({ name, in: 'query', required: false, schema: prop, description: `${p.description ?? name} (image uploads).${required}` });
    }
  }
  return out;
}

/** The request body: JSON/msgpack from `body`, multipart and image/* from `upload`. */
function requestBody(route: AnyRoute): unknown {
  const content: Record<string, unknown> = {};
  if (route.body) {
    const schema = toSchema(route.body as z.ZodType, 'input');
    content['application/json'] = { schema };
    content['application/msgpack'] = { schema };
  }
  if (route.upload) {
    const fields = route.upload.fields ? (toSchema(route.upload.fields as z.ZodType, 'input') as ObjectSchema) : {};
    const files = route.upload.files ?? ['image'];
    const fileProps = Object.fromEntries(files.map((f) => [f, { type: 'string', format: 'binary', description: 'an image file' }]));
    content['multipart/form-data'] = {
      schema: { type: 'object', required: [...files, ...(fields.required ?? [])], properties: { ...fileProps, ...(fields.properties ?? {}) } },
    };
    // a raw body carries one image
    if (files.length === 1) content['image/*'] = { schema: { type: 'string', format: 'binary' } };
  }
  const out: Record<string, unknown> = { required: true, content };
  if (route.upload) out['description'] = route.upload.description;
  return out;
}

function response(doc: ResponseDoc) {
  if (!doc.schema && !doc.contentType) return { description: doc.description };
  const schema = doc.schema ? toSchema(doc.schema, 'output') : { type: 'string' };
  const ct = doc.contentType ?? 'application/json';
  const content: Record<string, unknown> = { [ct]: { schema } };
  if (ct === 'application/json') content['application/msgpack'] = { schema };
  return { description: doc.description, content };
}

/** Builds the document once; the caller caches the JSON text. */
export function buildOpenApi(routes: readonly AnyRoute[], opts: { authEnabled: boolean; publicMetrics: boolean }): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const secured = opts.authEnabled && (r.access === 'read' || r.access === 'write' || (r.access === 'metrics' && !opts.publicMetrics));
    const responses: Record<string, unknown> = {};
    for (const [status, doc] of Object.entries(r.responses)) responses[status] = response(doc);
    if (r.params || r.query || r.body || r.upload) responses['400'] ??= { description: 'Invalid request', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    if (secured) {
      responses['401'] = { description: 'Missing or unknown API key' };
      if (r.access === 'write') responses['403'] = { description: 'The key lacks the write scope' };
      else if (r.upload?.access) responses['403'] = { description: 'The key lacks the scope this upload needs (see the description)' };
    }
    const op: Record<string, unknown> = {
      operationId: `${r.method}_${r.path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
      summary: r.summary,
      tags: [r.tag],
      parameters: parameters(r),
      responses,
      security: secured ? [{ bearer: [] }] : [],
    };
    if (r.description) op['description'] = r.description;
    if (r.access === 'read' || r.access === 'write') op['x-scope'] = r.access;
    if (r.body || r.upload) op['requestBody'] = requestBody(r);
    (paths[r.path] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'featcache',
      version: '0.1.0',
      description: 'Versioned, compressed image-feature cache on Redis. See docs/HTTP.md for msgpack ext codes and limits.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API key with read or write scope' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['success', 'error'],
          properties: {
            success: { const: false },
            error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
          },
        },
      },
    },
    paths,
  };
}
