/**
 * POST /analysis/features: extract an uploaded image's features in the worker
 * pool, through cache.getOrCompute (a second call for the same image_id is a
 * cache hit, and concurrent calls extract once).
 *
 * Body: `multipart/form-data` with a file field `image` and a field `image_id`,
 * or the raw bytes with `Content-Type: image/*` and `?image_id=`.
 * Limits: `maxBytes` is enforced from Content-Length before reading and again
 * while reading (413 IMAGE_TOO_LARGE); formats (415 UNSUPPORTED_IMAGE_FORMAT)
 * and pixels (413 IMAGE_TOO_LARGE) by the extractor; undecodable bytes are
 * 400 INVALID_IMAGE; a full extraction queue is 503 COMPUTE_FAILED with Retry-After.
 * Errors are thrown, not answered here: the app's onError (toErrorAnswer in
 * src/http/errors.ts) turns them into `{ success: false, error: { code, message } }`.
 */
import { Hono, type Context } from 'hono';
import { ErrorCodes, FeatureCacheError, isFeatureCacheError } from '../../errors.js';
import { extractorVersion } from '../../features/extractors.js';
import type { ExtractOptions } from '../../features/options.js';
import type { ExtractionPool } from '../../features/pool.js';
import type { FeatureCache, FeatureRecord, Features, GetOrComputeOptions } from '../../types.js';
import type { Authenticator } from '../auth.js';
import { ApiError, HttpErrorCodes } from '../errors.js';
import { recordOut, send, wantsMsgpack } from '../negotiate.js';
import type { AppEnv } from '../route.js';

export const FEATURES_PATH = '/analysis/features';

export interface FeaturesRouteLimits {
  /** Largest accepted image in bytes. @default 16_777_216 (16 MiB) */
  maxBytes?: number;
  /** Largest accepted width x height. @default 40_000_000 */
  maxPixels?: number;
  /** Accepted formats, as sharp names them. @default jpeg png webp gif tiff avif heif */
  allowedFormats?: readonly string[];
}

export interface FeaturesRouteDeps {
  /** Its featureVersion must contain extractorVersion() (use extractionFeatureVersion). */
  cache: FeatureCache;
  pool: Pick<ExtractionPool, 'extract'>;
  limits?: FeaturesRouteLimits;
  /** The app's authenticator; the route needs the write scope. Absent: no auth. */
  auth?: Pick<Authenticator, 'check'>;
  /** TTL, groups and lock settings of the records this route writes. */
  computeOptions?: GetOrComputeOptions;
}

export const DEFAULT_FEATURES_MAX_BYTES = 16 * 1024 * 1024;
/** Room for multipart boundaries, headers and the image_id field. */
const MULTIPART_OVERHEAD = 64 * 1024;
const IMAGE_TYPE_RE = /^image\/[\w.+-]+/i;
const MULTIPART_RE = /^multipart\/form-data\b/i;

function tooLarge(maxBytes: number): FeatureCacheError {
  return new FeatureCacheError(ErrorCodes.IMAGE_TOO_LARGE, `image is larger than ${maxBytes} bytes`, { details: { maxBytes } });
}

/** Reads the request body, failing as soon as it exceeds `limit` bytes. */
async function readLimited(req: Request, limit: number, onExceed: () => Error): Promise<Uint8Array> {
  const declared = req.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw onExceed();
  if (req.body === null) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
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

interface Upload {
  imageId: string | undefined;
  bytes: Uint8Array;
}

async function readMultipart(c: Context<AppEnv>, maxBytes: number): Promise<Upload> {
  const contentType = c.req.header('content-type')!;
  const raw = await readLimited(c.req.raw, maxBytes + MULTIPART_OVERHEAD, () => tooLarge(maxBytes));
  let form: FormData;
  try {
    form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw new ApiError(400, HttpErrorCodes.MALFORMED_BODY, 'Request body is not valid multipart/form-data');
  }
  const file = form.get('image');
  if (file === null || typeof file === 'string') {
    throw new ApiError(400, HttpErrorCodes.INVALID_REQUEST, 'image: a file field named "image" is required');
  }
  if (file.size > maxBytes) throw tooLarge(maxBytes);
  const id = form.get('image_id');
  if (id !== null && typeof id !== 'string') throw new ApiError(400, ErrorCodes.INVALID_IMAGE_ID, 'image_id must be a text field');
  return { imageId: id ?? c.req.query('image_id'), bytes: new Uint8Array(await file.arrayBuffer()) };
}

/**
 * The route as a Hono sub-app (mount with `app.route('/', featuresRoutes(deps))`).
 * Throws INVALID_OPTIONS when the cache's featureVersion does not name the extractors.
 * @param deps.limits.maxBytes @default 16 MiB
 */
export function featuresRoutes(deps: FeaturesRouteDeps): Hono<AppEnv> {
  const { cache, pool, auth } = deps;
  const extractors = extractorVersion();
  if (!cache.featureVersion.includes(extractors)) {
    throw new FeatureCacheError(
      ErrorCodes.INVALID_OPTIONS,
      `the cache's featureVersion ${JSON.stringify(cache.featureVersion)} must include the extractor versions ` +
        `(${extractors}); create it with featureVersion: extractionFeatureVersion(base)`,
      { details: { option: 'featureVersion' } },
    );
  }
  const maxBytes = deps.limits?.maxBytes ?? DEFAULT_FEATURES_MAX_BYTES;
  // resolved once: the same options object for every request
  const extractOptions: ExtractOptions = { maxBytes };
  if (deps.limits?.maxPixels !== undefined) extractOptions.maxPixels = deps.limits.maxPixels;
  if (deps.limits?.allowedFormats !== undefined) extractOptions.allowedFormats = deps.limits.allowedFormats;
  const computeOptions = deps.computeOptions ?? {};

  const app = new Hono<AppEnv>();
  app.post(FEATURES_PATH, async (c) => {
    c.set('route', FEATURES_PATH);
    auth?.check(c.req.header('authorization'), 'write');
    const contentType = c.req.header('content-type') ?? '';
    let upload: Upload;
    if (MULTIPART_RE.test(contentType)) upload = await readMultipart(c, maxBytes);
    else if (IMAGE_TYPE_RE.test(contentType)) {
      const imageId = c.req.query('image_id');
      if (imageId === undefined) throw new ApiError(400, ErrorCodes.INVALID_IMAGE_ID, 'image_id: the query parameter is required');
      upload = { imageId, bytes: await readLimited(c.req.raw, maxBytes, () => tooLarge(maxBytes)) };
    } else {
      throw new ApiError(415, HttpErrorCodes.UNSUPPORTED_MEDIA_TYPE, 'Send multipart/form-data (fields image, image_id) or the raw image with Content-Type image/*');
    }
    if (upload.imageId === undefined || upload.imageId === '') {
      throw new ApiError(400, ErrorCodes.INVALID_IMAGE_ID, 'image_id is required');
    }

    let computed = false;
    const compute = async (): Promise<Features> => {
      computed = true;
      return (await pool.extract(upload.bytes, extractOptions)) as unknown as Features;
    };
    let record: FeatureRecord;
    try {
      record = await cache.getOrCompute(upload.imageId, compute, computeOptions);
    } catch (err) {
      if (isFeatureCacheError(err, ErrorCodes.COMPUTE_FAILED) && err.details?.reason === 'QUEUE_FULL') {
        c.header('retry-after', '1');
        throw new ApiError(503, ErrorCodes.COMPUTE_FAILED, 'The extraction queue is full; retry later');
      }
      throw err;
    }
    const mp = wantsMsgpack(c);
    const out = recordOut(record, mp);
    return send(c, mp, { success: true, image_id: out.image_id, version: out.version, cached: !computed, features: out.features });
  });

  return app;
}
