/**
 * Reading uploaded images: `multipart/form-data` (a file field `image` plus text
 * fields) or the raw bytes with `Content-Type: image/*` (text fields then come
 * from the query string). The body is read with a byte limit that is enforced
 * from Content-Length before reading and again while streaming, so an oversized
 * upload never sits in memory (413 IMAGE_TOO_LARGE).
 */
import type { Context } from 'hono';
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import { ApiError, HttpErrorCodes } from './errors.js';
import { requestHeader } from './node-io.js';

/** Room for multipart boundaries, part headers and the text fields. */
export const MULTIPART_OVERHEAD = 64 * 1024;
/**
 * Most parts in an upload form (the image and a few text fields). Counted on the
 * raw bytes before the form parser builds an entry per part: 16 MB of tiny
 * parts would be hundreds of thousands. Text fields stay strings: nothing in a
 * form is parsed as a structure, so there is no nesting to bound.
 */
export const MAX_FORM_PARTS = 64;
const IMAGE_TYPE_RE = /^image\/[\w.+-]+/i;
const MULTIPART_RE = /^multipart\/form-data\b/i;

/** How a request body carries an image, from its Content-Type; undefined when it carries none. */
export function uploadKind(contentType: string | undefined): 'multipart' | 'raw' | undefined {
  if (contentType === undefined) return undefined;
  if (MULTIPART_RE.test(contentType)) return 'multipart';
  if (IMAGE_TYPE_RE.test(contentType)) return 'raw';
  return undefined;
}

/** An uploaded image and the text fields sent with it. */
export interface Upload {
  /** The first (or only) file. */
  bytes: Uint8Array;
  /** Every file by field name (the route's file fields, all present). */
  files: Record<string, Uint8Array>;
  /** Query parameters, overridden by multipart text fields of the same name. */
  fields: Record<string, string>;
}

/** The IMAGE_TOO_LARGE error for an upload over `maxBytes`. */
export function imageTooLarge(maxBytes: number): FeatureCacheError {
  return new FeatureCacheError(ErrorCodes.IMAGE_TOO_LARGE, `image is larger than ${maxBytes} bytes`, { details: { maxBytes } });
}

/** Reads the request body, failing as soon as it exceeds `limit` bytes (also from Content-Length, before reading). */
export async function readLimited(req: Request, limit: number, onExceed: () => Error): Promise<Uint8Array> {
  const declared = req.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw onExceed();
  if (req.body === null) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = (await reader.read()) as { done: true; value?: undefined } | { done: false; value: Uint8Array };
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw onExceed();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

async function readMultipart(c: Context, contentType: string, maxBytes: number, fields: Record<string, string>, names: readonly string[]): Promise<Upload> {
  const raw = await readLimited(c.req.raw, maxBytes * names.length + MULTIPART_OVERHEAD, () => imageTooLarge(maxBytes));
  assertFewParts(raw, contentType);
  let form: FormData;
  try {
    form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw new ApiError(400, HttpErrorCodes.MALFORMED_BODY, 'Request body is not valid multipart/form-data');
  }
  const found = new Map<string, File>();
  for (const [name, value] of form) {
    if (names.includes(name)) {
      if (typeof value === 'string') throw new ApiError(400, HttpErrorCodes.INVALID_REQUEST, `${name}: must be a file field`);
      found.set(name, value);
    } else if (typeof value === 'string') fields[name] = value;
    else throw new ApiError(400, name === 'image_id' ? ErrorCodes.INVALID_IMAGE_ID : HttpErrorCodes.INVALID_REQUEST, `${name} must be a text field`);
  }
  const files: Record<string, Uint8Array> = {};
  for (const name of names) {
    const file = found.get(name);
    if (file === undefined) throw new ApiError(400, HttpErrorCodes.INVALID_REQUEST, `${name}: a file field named "${name}" is required`);
    if (file.size > maxBytes) throw imageTooLarge(maxBytes);
    files[name] = new Uint8Array(await file.arrayBuffer());
  }
  return { bytes: files[names[0]!]!, files, fields };
}

/** Refuses a form with more than MAX_FORM_PARTS parts (delimiter lines counted with indexOf, nothing built). */
function assertFewParts(raw: Uint8Array, contentType: string): void {
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (boundary === undefined) return; // the form parser refuses it
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const delimiter = Buffer.from(`--${boundary}`);
  let parts = -1; // the last delimiter closes the form
  for (let i = bytes.indexOf(delimiter); i >= 0; i = bytes.indexOf(delimiter, i + delimiter.length)) {
    if (++parts > MAX_FORM_PARTS) throw new ApiError(400, HttpErrorCodes.MALFORMED_BODY, `The form has more than ${MAX_FORM_PARTS} parts (the limit)`);
  }
}

/**
 * Reads an uploaded image: multipart (`image` file + text fields) or raw `image/*`.
 * Throws 415 UNSUPPORTED_MEDIA_TYPE for other bodies, 413 IMAGE_TOO_LARGE over
 * `maxBytes`, 400 MALFORMED_BODY / INVALID_REQUEST for a broken form.
 * @param query the parsed query string (fields of raw uploads; defaults for multipart)
 * @param names the file fields; a raw body can carry only one. @default ['image']
 */
export async function readUpload(c: Context, maxBytes: number, query: Record<string, string>, names: readonly string[] = ['image']): Promise<Upload> {
  const contentType = requestHeader(c, 'content-type');
  const kind = uploadKind(contentType);
  const fields = { ...query };
  const list = names.map((n) => `"${n}"`).join(' and ');
  if (kind === 'multipart') return readMultipart(c, contentType!, maxBytes, fields, names);
  if (kind === 'raw' && names.length === 1) {
    const bytes = await readLimited(c.req.raw, maxBytes, () => imageTooLarge(maxBytes));
    return { bytes, files: { [names[0]!]: bytes }, fields };
  }
  if (kind === 'raw') throw new ApiError(415, HttpErrorCodes.UNSUPPORTED_MEDIA_TYPE, `Send multipart/form-data with the file fields ${list}: a raw image body carries only one image`);
  throw new ApiError(415, HttpErrorCodes.UNSUPPORTED_MEDIA_TYPE, `Send multipart/form-data (a file field ${list} and text fields) or the raw image with Content-Type image/*`);
}
