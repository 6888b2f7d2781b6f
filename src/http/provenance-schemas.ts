/**
 * zod schemas of the provenance routes (POST /analysis/verify, POST /analysis/groups):
 * request bodies, upload fields and response shapes. Built once per app from the limits.
 */
import { z } from 'zod';
import type { Schemas } from './schemas.js';

/** The two file fields of a verification upload. */
export const VERIFY_FILES = ['image_a', 'image_b'] as const;

const verdict = z.enum(['identical', 'near_duplicate', 'derived', 'unrelated']);
const reasons = z.array(z.string()).describe('plain words: "identical file", "cropped: B is 52% of A", "rotated 90°", "mirrored", ...');

/** Builds the schemas for the configured batch limit. */
export function buildProvenanceSchemas(base: Schemas, limits: { maxBatch: number }) {
  const render = z.enum(['png']).optional().describe('png: answer with a PNG picture of the matches instead of JSON (uploads only)');
  const verifyQuery = z.object({ render });
  const verifyBody = z.strictObject({
    image_id_a: base.imageId.describe('a cached image (extracted records)'),
    image_id_b: base.imageId.describe('another cached image'),
  });
  const verifyUpload = z.object({ render });
  /** `{ image_ids }` of a set analysed as a whole (groups, provenance graph). */
  const imageSetBody = () =>
    z.strictObject({
      image_ids: z
        .array(base.imageId)
        .min(1, 'image_ids must not be empty')
        .max(limits.maxBatch, `at most ${limits.maxBatch} image_ids per request`)
        .describe('cached images (extracted records); duplicates are analysed once'),
    });
  const groupsBody = imageSetBody();
  const graphQuery = z.object({
    render: z.enum(['svg', 'png']).optional().describe('svg or png: answer with a picture of the graph drawn server-side instead of JSON'),
  });
  const graphBody = imageSetBody();
  return { verifyQuery, verifyBody, verifyUpload, groupsBody, graphQuery, graphBody };
}

export type ProvenanceSchemas = ReturnType<typeof buildProvenanceSchemas>;

/** Response shapes, for the OpenAPI document. */
export const provenanceResponses = {
  graph: z.object({
    success: z.literal(true),
    nodes: z
      .array(z.object({ image_id: z.string(), missing: z.literal(true).optional().describe('no extracted record') }))
      .describe('every distinct input ID, in input order'),
    edges: z
      .array(
        z.object({
          from: z.string().describe('the source when directed'),
          to: z.string().describe('the derived image when directed'),
          directed: z.boolean().describe('false: direction unknown (the reasons say why)'),
          confidence: z.number().describe('0..1: the link, times its direction when directed'),
          inliers: z.number().int(),
          reasons,
        }),
      )
      .describe('the skeleton: a maximum spanning forest over the verified pairs'),
    composites: z.array(z.string()).describe('images made of two or more of their neighbours'),
    stats: z.object({ images: z.number().int(), candidates: z.number().int(), verified: z.number().int(), ms: z.number().int() }),
  }),
  verify: z.object({
    success: z.literal(true),
    image_id_a: z.string().nullable().describe('null for uploads'),
    image_id_b: z.string().nullable(),
    verdict,
    inliers: z.number().int().describe('matches that agree with the homography'),
    matches: z.number().int().describe('descriptor matches that passed the ratio test'),
    transform: z
      .object({ scale: z.number(), rotation_deg: z.number(), mirrored: z.boolean() })
      .nullable()
      .describe('how B relates to A: B pixels per A pixel, clockwise degrees, horizontal mirror'),
    overlap: z.object({ a: z.number(), b: z.number() }).nullable().describe("fraction of each image's area covered by the matched region"),
    reasons,
    cached: z.boolean().optional().describe('by ID only: true when the verdict came from the pairwise-verdict cache'),
  }),
  groups: z.object({
    success: z.literal(true),
    groups: z.array(z.array(z.string())).describe('related images, 2 or more each, in input order'),
    edges: z
      .array(z.object({ a: z.string(), b: z.string(), verdict, reasons, inliers: z.number().int() }))
      .describe('every related pair found (a before b in the input)'),
    missing: z.array(z.string()).describe('IDs without an extracted record'),
    without_orb: z.array(z.string()).describe('IDs whose record has no ORB keypoints (judged by hashes alone)'),
    stats: z.object({
      images: z.number().int(),
      candidates: z.number().int().describe('pairs proposed by the cheap evidence'),
      verified: z.number().int().describe('candidate pairs judged'),
      cached: z.number().int().describe('of those, answered from the pairwise-verdict cache (no RANSAC run)'),
      ms: z.number().int(),
    }),
  }),
};
