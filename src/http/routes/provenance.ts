/**
 * Provenance over HTTP:
 * - POST /analysis/verify — are two images related, and how? Two cached IDs
 *   (JSON/msgpack) or two uploads (multipart `image_a`, `image_b`); uploads may
 *   ask for the picture of the matches (`?render=png`).
 * - POST /analysis/groups — the one-call duplicate check over a set of cached IDs.
 * - POST /analysis/provenance-graph — which image of a set was derived from which
 *   (JSON, or a picture of the graph with `?render=svg|png`).
 * All read the extracted records, where the ORB keypoints live.
 */
import type { Context } from 'hono';
import { renderGraph } from '../../provenance/graph-render.js';
import { renderMatches } from '../../provenance/render.js';
import { MIN_INLIERS } from '../../provenance/thresholds.js';
import { verifyFeatures } from '../../provenance/verify.js';
import type { VerifyResult } from '../../provenance/types.js';
import { ApiError, HttpErrorCodes } from '../errors.js';
import { send, wantsMsgpack } from '../negotiate.js';
import { buildProvenanceSchemas, provenanceResponses, VERIFY_FILES } from '../provenance-schemas.js';
import { defineRoute, errorDoc, type AnyRoute, type RouteDeps } from '../route.js';

function verifyAnswer(c: Context, r: VerifyResult & { cached?: boolean }, ids: { a: string | null; b: string | null }): Response {
  return send(c, wantsMsgpack(c), {
    success: true,
    image_id_a: ids.a,
    image_id_b: ids.b,
    verdict: r.verdict,
    inliers: r.inliers,
    matches: r.matches,
    transform: r.transform,
    overlap: r.overlap,
    reasons: r.reasons,
    ...(r.cached === undefined ? {} : { cached: r.cached }),
  });
}

export function provenanceRoutes({ images, schemas: base, config }: RouteDeps): AnyRoute[] {
  if (!images) return [];
  const schemas = buildProvenanceSchemas(base, { maxBatch: config.maxBatch });

  const verify = defineRoute({
    method: 'post',
    path: '/analysis/verify',
    access: 'read',
    tag: 'provenance',
    summary: 'Are two images related, and how? (geometric verification of ORB keypoints, fused with the hashes)',
    description:
      'JSON/msgpack body {image_id_a, image_id_b}: two cached images (extracted records). Or upload both images as multipart/form-data ' +
      '(file fields image_a and image_b; nothing is stored); with render=png (query or form field) an upload is answered with a PNG picture of the matches. ' +
      'Verdicts and reasons: docs/PROVENANCE.md.',
    query: schemas.verifyQuery,
    body: schemas.verifyBody,
    async handle(c, { query, body }) {
      if (query.render !== undefined) {
        throw new ApiError(400, HttpErrorCodes.INVALID_REQUEST, 'render=png needs the images themselves: upload them (multipart file fields image_a and image_b)');
      }
      // the pairwise-verdict cache answers a pair verified before (cached: true)
      const r = await images.extracted.verifyPair(body.image_id_a, body.image_id_b);
      return verifyAnswer(c, r, { a: body.image_id_a, b: body.image_id_b });
    },
    upload: {
      description: 'Two images to compare: multipart/form-data with the file fields image_a and image_b (and optionally the field render=png).',
      files: VERIFY_FILES,
      fields: schemas.verifyUpload,
      async handle(c, { fields, files }) {
        const [fa, fb] = await Promise.all([images.extractOnly(files.image_a!), images.extractOnly(files.image_b!)]);
        if (fields.render === 'png') {
          // every ORB extraction in the worker pool, the mirror pass's too
          const mirroredB = await images.mirroredOrb(files.image_b!);
          const png = await renderMatches(Buffer.from(files.image_a!), Buffer.from(files.image_b!), { features: { a: fa, b: fb, ...(mirroredB ? { mirroredB } : {}) } });
          return c.body(new Uint8Array(png), 200, { 'content-type': 'image/png' });
        }
        // the mirror pass, as the library's: B's mirror image, only when the forward pass proves nothing
        let r = verifyFeatures(fa, fb);
        if (r.verdict !== 'identical' && r.inliers < MIN_INLIERS && fa.orb !== undefined) {
          const mirroredB = await images.mirroredOrb(files.image_b!);
          if (mirroredB !== undefined) r = verifyFeatures(fa, fb, { mirroredB });
        }
        return verifyAnswer(c, r, { a: null, b: null });
      },
    },
    responses: {
      200: { description: 'The verdict, the transform, the overlap and the reasons (a PNG with render=png)', schema: provenanceResponses.verify },
      404: errorDoc('NOT_FOUND: an image_id has no extracted record'),
      413: errorDoc('IMAGE_TOO_LARGE'),
      415: errorDoc('UNSUPPORTED_MEDIA_TYPE (a raw image body carries one image: use multipart) or UNSUPPORTED_IMAGE_FORMAT'),
    },
  });

  const groups = defineRoute({
    method: 'post',
    path: '/analysis/groups',
    access: 'read',
    tag: 'provenance',
    summary: 'Groups of related images in a set of cached images (the one-call duplicate check)',
    description:
      'One batch read, cheap candidate pairs (content hash, dihedral pHash, shared descriptor chunks), geometric verification of those ' +
      'pairs only, verified pairs joined into groups. At most FEATCACHE_MAX_BATCH image_ids. docs/PROVENANCE.md.',
    body: schemas.groupsBody,
    async handle(c, { body }) {
      // verified in the worker pool: the event loop stays free for other requests and Redis replies
      const r = await images.analyzeSet(body.image_ids, { maxIds: config.maxBatch });
      return send(c, wantsMsgpack(c), {
        success: true,
        groups: r.groups,
        edges: r.edges.map((e) => ({ a: e.a, b: e.b, verdict: e.verdict, reasons: e.reasons, inliers: e.inliers })),
        missing: r.missing,
        without_orb: r.without_orb,
        stats: r.stats,
      });
    },
    responses: {
      200: { description: 'Groups, the related pairs with their reasons, and the IDs without a record', schema: provenanceResponses.groups },
      413: errorDoc('BATCH_TOO_LARGE: more image_ids than FEATCACHE_MAX_BATCH'),
    },
  });

  const graph = defineRoute({
    method: 'post',
    path: '/analysis/provenance-graph',
    access: 'read',
    tag: 'provenance',
    summary: 'The provenance graph of a set of cached images: which was derived from which, and the composites',
    description:
      'Candidate pairs as for /analysis/groups, each verified through the pairwise-verdict cache; a maximum spanning tree over the ' +
      'verified pairs as the skeleton; each edge directed from measured evidence (crop coverage, rotation padding, downscaling, ' +
      'composites) or left undirected with the reason "direction unknown". With render=svg (image/svg+xml) or render=png (image/png) ' +
      'the answer is a picture of the graph. At most FEATCACHE_MAX_BATCH image_ids. docs/PROVENANCE.md.',
    query: schemas.graphQuery,
    body: schemas.graphBody,
    async handle(c, { query, body }) {
      const g = await images.extracted.provenanceGraph(body.image_ids, { maxIds: config.maxBatch });
      if (query.render === 'svg') return c.body(new Uint8Array(await renderGraph(g, 'svg')), 200, { 'content-type': 'image/svg+xml; charset=utf-8' });
      if (query.render === 'png') return c.body(new Uint8Array(await renderGraph(g, 'png')), 200, { 'content-type': 'image/png' });
      return send(c, wantsMsgpack(c), {
        success: true,
        nodes: g.nodes.map((n) => ({ image_id: n.imageId, ...(n.missing ? { missing: true } : {}) })),
        edges: g.edges,
        composites: g.composites,
        stats: g.stats,
      });
    },
    responses: {
      200: { description: 'The nodes, the skeleton edges with direction, confidence and reasons, the composites (an SVG or PNG picture with render)', schema: provenanceResponses.graph },
      413: errorDoc('BATCH_TOO_LARGE: more image_ids than FEATCACHE_MAX_BATCH'),
    },
  });

  return [verify, groups, graph];
}
