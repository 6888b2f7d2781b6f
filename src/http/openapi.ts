/**
 * OpenAPI 3.1 document generated from the route declarations (zod -> JSON Schema).
 *
 * zod's toJSONSchema writes every schema that carries a `.meta({ id })` into a
 * `$defs` block inside the converted schema and refers to it as `#/$defs/<id>`.
 * Inside an OpenAPI document those pointers resolve against the document root,
 * where there is no `$defs`, so they are hoisted into `components.schemas` and
 * the references rewritten (one definition per id, shared by every operation).
 */
import { z } from 'zod';
import { TYPED_ARRAY_EXT_CODES } from './msgpack.js';
import type { AnyRoute, ResponseDoc } from './route.js';
import { errorSchema } from './schemas.js';

type Json = Record<string, unknown>;
type ObjectSchema = { properties?: Record<string, Json>; required?: string[] };

const DEFS_PREFIX = '#/$defs/';
const COMPONENTS_PREFIX = '#/components/schemas/';

/** Collects the hoisted `$defs` of every converted schema into components.schemas. */
class Components {
  readonly schemas: Record<string, Json> = {};
  private readonly texts = new Map<string, string>();

  /** Converts `s` and hoists its $defs; the result refers to #/components/schemas/. */
  convert(s: z.ZodType, io: 'input' | 'output'): Json {
    const { $schema: _schema, $defs, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any', reused: 'inline' }) as Json;
    const renamed = new Map<string, string>();
    for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, Json>)) renamed.set(id, this.add(id, def, io));
    return rewriteRefs(rest, renamed) as Json;
  }

  /** Adds a definition under `id` (or `<id>Input` when the input shape differs from an existing output one). */
  private add(id: string, def: Json, io: 'input' | 'output'): string {
    const text = JSON.stringify(def);
    for (const name of [id, `${id}${io === 'input' ? 'Input' : 'Output'}`]) {
      const known = this.texts.get(name);
      if (known === undefined) {
        this.texts.set(name, text);
        this.schemas[name] = def; // refs inside are rewritten once all names are known (finish)
        return name;
      }
      if (known === text) return name;
    }
    throw new Error(`OpenAPI: two different schemas claim the id ${id}`);
  }

  /** Rewrites the `#/$defs/` references left inside hoisted definitions. */
  finish(): Record<string, Json> {
    for (const [name, def] of Object.entries(this.schemas)) this.schemas[name] = rewriteRefs(def, new Map()) as Json;
    return this.schemas;
  }
}

/** Deep copy with every `#/$defs/<id>` reference pointed at components.schemas (under its possibly renamed id). */
function rewriteRefs(v: unknown, renamed: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(v)) return v.map((e) => rewriteRefs(e, renamed));
  if (v === null || typeof v !== 'object') return v;
  const out: Json = {};
  for (const [k, e] of Object.entries(v)) {
    if (k === '$ref' && typeof e === 'string' && e.startsWith(DEFS_PREFIX)) {
      const id = decodeURIComponent(e.slice(DEFS_PREFIX.length));
      out[k] = COMPONENTS_PREFIX + encodeURIComponent(renamed.get(id) ?? id);
    } else out[k] = rewriteRefs(e, renamed);
  }
  return out;
}

function parameters(route: AnyRoute, comps: Components): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [['path', route.params], ['query', route.query]] as const) {
    if (!schema) continue;
    const js = comps.convert(schema as z.ZodType, 'input') as ObjectSchema;
    for (const [name, prop] of Object.entries(js.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: prop, description: prop['description'] });
    }
  }
  // An upload's text fields are declared once, as query parameters: they travel
  // there with a raw image/* body, and a multipart body may carry them as form
  // fields too (the form wins). Declaring them in both places made Swagger UI send
  // its "string" placeholder as a form field, over the query value the user typed.
  if (route.upload?.fields) {
    const js = comps.convert(route.upload.fields as z.ZodType, 'input') as ObjectSchema;
    const queryDeclared = new Set(out.filter((p) => p['in'] === 'query').map((p) => p['name']));
    for (const [name, prop] of Object.entries(js.properties ?? {})) {
      if (queryDeclared.has(name)) continue;
      const required = (js.required ?? []).includes(name);
      // a route that also takes JSON/msgpack cannot require a field only uploads need
      const requiredHere = required && !route.body;
      const note = route.body ? ' (image uploads only)' : '';
      out.push({ name, in: 'query', required: requiredHere, schema: prop, description: `${(prop['description'] as string | undefined) ?? name}${note}; may also be sent as a multipart text field.` });
    }
  }
  return out;
}

/** The request body: JSON/msgpack from `body`, multipart and image/* from `upload`. */
function requestBody(route: AnyRoute, comps: Components): Json {
  const content: Json = {};
  if (route.body) {
    const schema = comps.convert(route.body as z.ZodType, 'input');
    content['application/json'] = { schema };
    content['application/msgpack'] = { schema };
  }
  if (route.upload) {
    // text fields are declared once, as query parameters; the form carries only the files
    const files = route.upload.files ?? ['image'];
    const fileProps = Object.fromEntries(files.map((f) => [f, { type: 'string', format: 'binary', description: 'an image file' }]));
    content['multipart/form-data'] = {
      schema: { type: 'object', required: files, properties: fileProps },
    };
    // a raw body carries one image
    if (files.length === 1) content['image/*'] = { schema: { type: 'string', format: 'binary' } };
  }
  const out: Json = { required: true, content };
  if (route.upload) out['description'] = route.upload.description;
  return out;
}

function response(doc: ResponseDoc, comps: Components): Json {
  if (!doc.schema && !doc.contentType) return { description: doc.description };
  const schema = doc.schema ? comps.convert(doc.schema, 'output') : { type: 'string' };
  const ct = doc.contentType ?? 'application/json';
  const content: Json = { [ct]: { schema } };
  if (ct === 'application/json') content['application/msgpack'] = { schema };
  return { description: doc.description, content };
}

/** The typed-array ext codes, as a machine-readable list and a Markdown table. */
const MSGPACK_EXT_TYPES = TYPED_ARRAY_EXT_CODES.map(([code, ctor]) => ({
  code,
  type: ctor.name,
  bytes_per_element: ctor.BYTES_PER_ELEMENT,
  byte_order: 'little-endian',
}));
const MSGPACK_DESCRIPTION = [
  'Bodies and answers are JSON or msgpack (`Content-Type` / `Accept: application/msgpack`, q-values honoured).',
  'In msgpack, typed arrays travel as ext values whose payload is the raw little-endian element bytes',
  '(listed machine-readably under `x-msgpack-ext-types`); Uint8Array is plain `bin`, 64-bit integers are int64/uint64.',
  '',
  '| ext code | typed array | bytes per element |',
  '| --- | --- | --- |',
  ...MSGPACK_EXT_TYPES.map((t) => `| \`0x${t.code.toString(16)}\` (${t.code}) | ${t.type} | ${t.bytes_per_element} |`),
].join('\n');

/** Builds the document once; the caller caches the JSON text. */
export function buildOpenApi(routes: readonly AnyRoute[], opts: { authEnabled: boolean; publicMetrics: boolean }): object {
  const comps = new Components();
  const errorRef = { $ref: COMPONENTS_PREFIX + 'Error' };
  comps.convert(z.object({ e: errorSchema }), 'output'); // registers Error in components.schemas
  const paths: Record<string, Json> = {};
  for (const r of routes) {
    const secured = opts.authEnabled && (r.access === 'read' || r.access === 'write' || (r.access === 'metrics' && !opts.publicMetrics));
    const responses: Json = {};
    for (const [status, doc] of Object.entries(r.responses)) responses[status] = response(doc, comps);
    if (r.params || r.query || r.body || r.upload) responses['400'] ??= { description: 'Invalid request', content: { 'application/json': { schema: errorRef } } };
    if (secured) {
      responses['401'] = { description: 'Missing or unknown API key', content: { 'application/json': { schema: errorRef } } };
      responses['429'] = {
        description: 'TOO_MANY_AUTH_FAILURES: this address presented too many wrong API keys lately (FEATCACHE_AUTH_FAILURE_LIMIT); retry after Retry-After seconds',
        headers: { 'Retry-After': { schema: { type: 'integer' } } },
        content: { 'application/json': { schema: errorRef } },
      };
      if (r.access === 'write') responses['403'] = { description: 'The key lacks the write scope', content: { 'application/json': { schema: errorRef } } };
      else if (r.upload?.access) {
        responses['403'] = { description: 'The key lacks the scope this upload needs (see the description)', content: { 'application/json': { schema: errorRef } } };
      }
    }
    const op: Json = {
      operationId: `${r.method}_${r.path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
      summary: r.summary,
      tags: [r.tag],
      parameters: parameters(r, comps),
      responses,
      security: secured ? [{ bearer: [] }] : [],
    };
    if (r.description) op['description'] = r.description;
    if (r.access === 'read' || r.access === 'write') op['x-scope'] = r.access;
    if (r.body || r.upload) op['requestBody'] = requestBody(r, comps);
    (paths[r.path] ??= {})[r.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'featcache',
      version: '0.1.0',
      description: `Versioned, compressed image-feature cache on Redis (docs/HTTP.md).\n\n${MSGPACK_DESCRIPTION}`,
    },
    // relative: Swagger UI's "Try it out" calls the host that served the document
    servers: [{ url: '/', description: 'this service' }],
    'x-msgpack-ext-types': MSGPACK_EXT_TYPES,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'API key with read or write scope' } },
      schemas: comps.finish(),
    },
    paths,
  };
}
