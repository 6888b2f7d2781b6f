/**
 * Content negotiation: request bodies in JSON or msgpack (by Content-Type),
 * responses in msgpack when the client's Accept prefers it (q-values honoured), JSON otherwise.
 * In JSON, typed arrays become number arrays and bigints become numbers (or
 * decimal strings beyond 2^53).
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { RecordSource } from '../sources.js';
import Negotiator from 'negotiator';
import type { FeatureRecord } from '../types.js';
import { ApiError, HttpErrorCodes } from './errors.js';
import { isUtf8 } from 'node:buffer';
import { readScanned } from './body-reader.js';
import { assertNoProtoKey, jsonScanner, msgpackScanner } from './body-scan.js';
import { decodeMsgpack } from './msgpack.js';
import { MsgpackEncoder } from './msgpack-encoder.js';

/** One encoder for every response: encode() is synchronous, so never re-entered. */
const responseEncoder = new MsgpackEncoder();
import { declaredBodyLength, requestHeader } from './node-io.js';

const MSGPACK_RE = /^application\/(?:x-|vnd\.)?msgpack\b/i;
const JSON_RE = /^application\/(?:[\w.+-]+\+)?json\b/i;

/** Media types a response can take, JSON first: it wins ties, wildcards and a missing Accept. */
const RESPONSE_TYPES = ['application/json', 'application/msgpack', 'application/x-msgpack', 'application/vnd.msgpack'];
/** Decisions per distinct Accept string: clients send a handful, so parsing happens once per string. */
const acceptDecisions = new Map<string, boolean>();
/** Bounds the cache against clients that send endless distinct strings. */
const MAX_ACCEPT_DECISIONS = 256;

/**
 * True when msgpack is the client's preferred answer by RFC 9110 negotiation
 * (q-values, specificity): `Accept: application/json, application/msgpack;q=0`
 * gets JSON. Anything unparseable or acceptable to neither gets JSON.
 */
export function wantsMsgpack(c: Context): boolean {
  const accept = requestHeader(c, 'accept');
  if (accept === undefined || !accept.includes('msgpack')) return false;
  let wants = acceptDecisions.get(accept);
  if (wants === undefined) {
    const best = new Negotiator({ headers: { accept } }).mediaType(RESPONSE_TYPES);
    wants = best !== undefined && best !== 'application/json';
    if (acceptDecisions.size >= MAX_ACCEPT_DECISIONS) acceptDecisions.clear();
    acceptDecisions.set(accept, wants);
  }
  return wants;
}

/**
 * Reads and decodes the request body. The Content-Type must name JSON or msgpack
 * (no default: a body without one is 415, so a cross-site form cannot pass as
 * JSON). The bytes are scanned as they arrive (src/http/body-scan.ts), so
 * nesting bombs and invalid UTF-8 are 400 MALFORMED_BODY without being built.
 */
export async function readBody(c: Context): Promise<unknown> {
  const type = requestHeader(c, 'content-type');
  if (type !== undefined && MSGPACK_RE.test(type)) {
    const bytes = await readScanned(c, msgpackScanner(declaredBodyLength(c)));
    try {
      return decodeMsgpack(bytes);
    } catch (err) {
      const detail = err instanceof Error && (err.name === 'MsgpackExtError' || err.message.includes('__proto__')) ? `: ${err.message}` : '';
      throw new ApiError(400, HttpErrorCodes.MALFORMED_BODY, `Request body is not valid msgpack${detail}`);
    }
  }
  if (type !== undefined && JSON_RE.test(type)) {
    const scanner = jsonScanner();
    const bytes = await readScanned(c, scanner);
    if (!isUtf8(bytes)) throw new ApiError(400, HttpErrorCodes.MALFORMED_BODY, 'Request body is not valid UTF-8');
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new ApiError(400, HttpErrorCodes.MALFORMED_BODY, 'Request body is not valid JSON');
    }
    if (scanner.maybeProtoKey) assertNoProtoKey(value);
    return value;
  }
  throw new ApiError(
    415,
    HttpErrorCodes.UNSUPPORTED_MEDIA_TYPE,
    type === undefined ? 'A request body needs a Content-Type: application/json or application/msgpack' : 'Send application/json or application/msgpack',
  );
}

/** Sends `body` as msgpack or JSON. For JSON, records must already be JSON-safe (see recordOut). */
export function send(c: Context, msgpack: boolean, body: unknown, status: ContentfulStatusCode = 200): Response {
  if (msgpack) {
    const bytes = responseEncoder.encode(body);
    return c.body(bytes as Uint8Array<ArrayBuffer>, status, { 'content-type': 'application/msgpack' });
  }
  return c.json(body, status);
}

/** JSON-safe copy of a feature value: typed arrays -> arrays, bigint -> number or string. */
function jsonValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    return v;
  }
  if (ArrayBuffer.isView(v)) {
    if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Array.from(v, (b) => jsonValue(b));
    return Array.from(v as unknown as ArrayLike<number>);
  }
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const e: unknown = v[i];
      if (e !== null && (typeof e === 'object' || typeof e === 'bigint')) {
        out ??= v.slice();
        out[i] = jsonValue(e);
      }
    }
    return out ?? v;
  }
  const out: Record<string, unknown> = {};
  for (const k in v) out[k] = jsonValue((v as Record<string, unknown>)[k]);
  return out;
}

/** Features as the API returns them: typed arrays kept for msgpack, converted for JSON. */
export function featuresOut(features: FeatureRecord['features'], msgpack: boolean): Record<string, unknown> {
  return msgpack ? features : (jsonValue(features) as Record<string, unknown>);
}

/** The last createdAt formatted: records of one batch were mostly written in the same second. */
let lastCreatedAt = Number.NaN;
let lastIso = '';

function isoTime(ms: number): string {
  if (ms !== lastCreatedAt) {
    lastIso = new Date(ms).toISOString();
    lastCreatedAt = ms;
  }
  return lastIso;
}

/** A record in the API's snake_case shape (with its source when read by source); typed arrays kept for msgpack, converted for JSON. */
export function recordOut(r: FeatureRecord & { source?: RecordSource }, msgpack: boolean): RecordOut {
  const out: RecordOut = {
    image_id: r.imageId,
    version: r.version,
    features: msgpack ? r.features : (jsonValue(r.features) as Record<string, unknown>),
    created_at: isoTime(r.createdAt),
  };
  if (r.source !== undefined) out.source = r.source;
  return out;
}

/** A record in the API's shape. */
export interface RecordOut {
  image_id: string;
  version: string;
  features: Record<string, unknown>;
  created_at: string;
  source?: RecordSource;
}

/** A Map as a null-prototype object (for JSON; a key may be "__proto__"). */
export function nullProtoObject<V>(m: ReadonlyMap<string, V>): Record<string, V> {
  const o = Object.create(null) as Record<string, V>;
  for (const [k, v] of m) o[k] = v;
  return o;
}
