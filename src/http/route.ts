/**
 * A route is declared once, as data: method, path, access, zod schemas and a
 * handler. The same declaration registers the Hono route (with auth, body
 * limit and validation in front) and feeds the OpenAPI document.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import type { FeatureCache } from '../types.js';
import type { ServiceConfig } from '../config.js';
import type { RouteAccess } from './auth.js';
import { ApiError, HttpErrorCodes } from './errors.js';
import type { HttpMetrics } from './metrics.js';
import type { NodeBindings } from './node-io.js';
import type { ImageService } from './images.js';
import { errorSchema, type Schemas } from './schemas.js';
import type { pino } from 'pino';

/** Per-request variables set by the app's middleware; bindings are what @hono/node-server passes. */
export type AppEnv = {
  /**
   * `forwarded`: the dashboard handed this request to the API in process, which
   * observed it under the API's route: the outer request is not counted again.
   */
  Variables: { route: string; requestId: string; forwarded: boolean };
  Bindings: NodeBindings;
};

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** @default 'application/json' */
  contentType?: string;
}

/**
 * A route that (also, or only) takes an uploaded image: `multipart/form-data`
 * with a file field `image` plus text fields, or the raw image with
 * `Content-Type: image/*` and the text fields in the query string. The app reads
 * the image with the FEATCACHE_MAX_IMAGE_BYTES limit (src/http/upload.ts); JSON
 * and msgpack bodies still go to the route's `handle`.
 */
export interface UploadSpec<P extends z.ZodType | undefined = undefined, F extends z.ZodType | undefined = undefined> {
  /** What the upload does (the OpenAPI requestBody description). */
  description: string;
  /** The text fields (values are strings: coerce them). Parsed from the query for raw bodies, from the form (over the query) for multipart. */
  fields?: F;
  /**
   * The scope the request needs once its fields are known (e.g. write when the
   * upload is stored). Raw uploads are checked before the image is read; multipart
   * ones after the form is parsed. The route's `access` is always checked first.
   * @default the route's access
   */
  access?(fields: Out<F>): RouteAccess;
  /** The multipart file fields, all required; with more than one, a raw image body is refused (415). @default ['image'] */
  files?: readonly string[];
  /** `image` is the first file; `files` holds each by field name. */
  handle(c: Context<AppEnv>, input: { params: Out<P>; fields: Out<F>; image: Uint8Array; files: Record<string, Uint8Array> }): Response | Promise<Response>;
}

export interface RouteSpec<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  F extends z.ZodType | undefined = undefined,
> {
  method: 'get' | 'put' | 'post' | 'delete';
  /** OpenAPI-style path: /analysis/cache/image/{image_id}. Also the metrics label. */
  path: string;
  /** 'metrics' = read scope unless FEATCACHE_PUBLIC_METRICS. */
  access: RouteAccess | 'metrics';
  summary: string;
  description?: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Also accept an uploaded image (see UploadSpec). A route with only `upload` answers 415 to other bodies. */
  upload?: UploadSpec<P, F>;
  responses: Record<number, ResponseDoc>;
  /** Handles requests without an uploaded image; may be absent when the route only takes uploads. */
  handle?(c: Context<AppEnv>, input: { params: Out<P>; query: Out<Q>; body: Out<B> }): Response | Promise<Response>;
}

// The registry holds routes of different parameter types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteSpec<any, any, any, any>;

/** Identity helper that infers the handler's input types from the schemas. */
export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  F extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<P, Q, B, F>): RouteSpec<P, Q, B, F> {
  return spec;
}

/** What route modules get from the app. */
export interface RouteDeps {
  cache: FeatureCache;
  config: ServiceConfig;
  logger: pino.Logger;
  metrics: HttpMetrics;
  schemas: Schemas;
  /** Runs cache.health() but answers "unhealthy" after healthTimeoutMs instead of hanging. (A function property: routes destructure it.) */
  guardedHealth: () => Promise<import('../types.js').HealthReport>;
  /** True once shutdown began. */
  isShuttingDown: () => boolean;
  /** Extraction and similarity (src/http/images.ts); absent: those routes are not served. */
  images?: ImageService;
}

/** Maps zod issues to the API error: batch limits 413, image IDs and features by code, the rest 400. */
export function validationError(error: z.ZodError, where: 'path' | 'query' | 'body' | 'form'): ApiError {
  const issue = error.issues[0];
  if (issue === undefined) return new ApiError(400, HttpErrorCodes.INVALID_REQUEST, `Invalid ${where}`);
  const path = issue.path.map(String);
  const field = path.length ? path.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') : where;
  const message = `${field}: ${issue.message}`;
  if (issue.code === 'too_big' && issue.origin === 'array' && path.length === 1 && (path[0] === 'image_ids' || path[0] === 'items')) {
    return new ApiError(413, HttpErrorCodes.BATCH_TOO_LARGE, message);
  }
  if (path.includes('image_id') || (path[0] === 'image_ids' && path.length > 1)) return new ApiError(400, 'INVALID_IMAGE_ID', message);
  if (path.includes('features')) return new ApiError(400, 'INVALID_FEATURES', message);
  return new ApiError(400, HttpErrorCodes.INVALID_REQUEST, message);
}

/** OpenAPI doc of an error answer. */
export function errorDoc(description: string): ResponseDoc {
  return { description, schema: errorSchema };
}
