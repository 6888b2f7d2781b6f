/**
 * verifyFeatures: are two images related, and how? Pure (no Redis, no I/O):
 * the content hash, ORB keypoints checked by a RANSAC homography (forward and,
 * when given, against B's mirror image), the whole-image hashes and, for
 * texture-poor images, their appearance thumbnails are fused into a verdict with the transform, the overlap and reasons in plain words.
 * docs/PROVENANCE.md describes the algorithm and how each threshold was chosen.
 */
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import { fromAppearance, fromSameFrame } from './appearance-verdict.js';
import { cropHomography, fitCropModel, isContained } from './crop-model.js';
import { matchForward, matchMirrored, type GeometricMatch } from './geometric.js';
import type { Polygon } from './geometry.js';
import { hashEvidence, type HashEvidence } from './hash-evidence.js';
import type { Homography } from './homography.js';
import { readOrb, type OrbFeatures } from './orb-input.js';
import { croppedReason, hashReason, REASON, rotatedReason } from './reasons.js';
import { correspondence, pointsAt, unmatchedCells, type Frame } from './region.js';
import { readThumb, type ThumbFeatures } from './thumb-input.js';
import * as T from './thresholds.js';
import type { VerifyInput, VerifyOptions, VerifyResult, VerifyTransform } from './types.js';

/** A verification with the geometry behind it (for pictures and tests). */
export interface Verification {
  result: VerifyResult;
  /** Present when the verdict rests on a homography. */
  geometry: {
    /** A -> B in the analysed frames. */
    h: Homography;
    frameA: Frame;
    frameB: Frame;
    /** Inlier positions, aligned: x, y per inlier, analysed-frame px. */
    inliersA: number[];
    inliersB: number[];
    /** The matched region of each image (what `overlap` measures). */
    regionA: Polygon;
    regionB: Polygon;
  } | null;
}

/** The options with their defaults, checked: what a verdict depends on besides the features. */
export interface ResolvedVerifyOptions {
  ratio: number;
  thresholdPx: number;
  minInliers: number;
  maxHashDistance: number;
  mirroredB: OrbFeatures | null;
}

/** Throws INVALID_ARGUMENT naming the option that is out of range. */
export function resolveVerifyOptions(opts: VerifyOptions): ResolvedVerifyOptions {
  const num = (name: keyof VerifyOptions, value: unknown, fallback: number, ok: (v: number) => boolean): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !ok(value)) {
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the message echoes whatever the caller passed
      throw new FeatureCacheError(ErrorCodes.INVALID_ARGUMENT, `verify option ${name} is out of range: ${String(value)}`, { details: { option: name } });
    }
    return value;
  };
  return {
    ratio: num('ratio', opts.ratio, T.RATIO, (v) => v > 0 && v <= 1),
    thresholdPx: num('ransacThresholdPx', opts.ransacThresholdPx, T.RANSAC_THRESHOLD_PX, (v) => v > 0 && v <= 100),
    minInliers: num('minInliers', opts.minInliers, T.MIN_INLIERS, (v) => Number.isInteger(v) && v >= 4),
    maxHashDistance: num('maxHashDistance', opts.maxHashDistance, T.MAX_HASH_DISTANCE, (v) => Number.isInteger(v) && v >= 0 && v <= 64),
    mirroredB: opts.mirroredB === undefined ? null : readOrb(opts.mirroredB, 'mirroredB'),
  };
}

/**
 * Verifies two feature records (each holding `orb` and, where present,
 * `content_hash`, `phash`, `phash_dihedral`; `width`/`height` give the true
 * scale when the analysed frames were downscaled). Throws INVALID_FEATURES
 * when a record has neither `orb` nor a pHash, or holds a malformed one, and
 * INVALID_ARGUMENT on a bad option.
 */
export function verifyFeatures(a: VerifyInput, b: VerifyInput, opts: VerifyOptions = {}): VerifyResult {
  return verifyDetailed(a, b, opts).result;
}

export function verifyDetailed(a: VerifyInput, b: VerifyInput, opts: VerifyOptions = {}): Verification {
  const o = resolveVerifyOptions(opts);
  const hashes = hashEvidence(a, b);
  if (hashes.identicalFile) {
    return {
      result: { verdict: 'identical', inliers: 0, matches: 0, transform: { scale: 1, rotation_deg: 0, mirrored: false }, overlap: { a: 1, b: 1 }, reasons: [REASON.identicalFile] },
      geometry: null,
    };
  }
  const orbA = readOrb(a['orb'], 'a.orb');
  const orbB = readOrb(b['orb'], 'b.orb');
  const thumbA = readThumb(a['thumb'], 'a.thumb');
  const thumbB = readThumb(b['thumb'], 'b.thumb');
  if ((!orbA || !orbB) && hashes.phashDistance === null) {
    throw new FeatureCacheError(ErrorCodes.INVALID_FEATURES, 'verification needs `orb` or `phash` features in both records', {
      details: { a: Object.keys(a), b: Object.keys(b) },
    });
  }
  let geo: GeometricMatch | null = null;
  if (orbA && orbB) {
    const params = { ratio: o.ratio, thresholdPx: o.thresholdPx, minInliers: o.minInliers, maxIterations: T.RANSAC_MAX_ITERATIONS, seed: T.RANSAC_SEED };
    geo = matchForward(orbA, orbB, params);
    const forward = geo;
    if (geo.inliersA.length < o.minInliers && o.mirroredB) {
      const mirrored = matchMirrored(orbA, o.mirroredB, params);
      if (mirrored.inliersA.length > geo.inliersA.length) geo = mirrored;
    }
    if (geo.inliersA.length < o.minInliers) geo = cropMatch(orbA, orbB, forward, o) ?? geo;
  }
  if (orbA && orbB && geo?.h && geo.inliersA.length >= o.minInliers) return fromGeometry(a, b, orbA, orbB, geo, geo.h);
  const poor = (orb: OrbFeatures | null) => orb !== null && orb.keypoints.length / 2 < T.MIN_TEXTURE_KEYPOINTS;
  const lowTexture = poor(orbA) || poor(orbB);
  const result = fromHashes(a, b, orbA, orbB, hashes, o.maxHashDistance, geo, lowTexture);
  if (result.verdict === 'unrelated' && thumbA && thumbB) {
    // geometry cannot decide: appearance — every kind for a texture-poor image; for two
    // textured ones (keypoints elsewhere than what they share) only the same-frame comparison
    const side = (f: VerifyInput, orb: OrbFeatures | null, thumb: ThumbFeatures) => ({ thumb, width: imageWidth(f, orb, thumb) });
    const sides = [side(a, orbA, thumbA), side(b, orbB, thumbB)] as const;
    const seen = lowTexture ? fromAppearance(...sides, geo?.matches ?? 0) : geo ? fromSameFrame(...sides, geo.matches) : null;
    if (seen) return { result: seen, geometry: null };
  }
  return { result, geometry: null };
}

/**
 * A crop or a resize whose homography RANSAC missed (too few inliers): the crop
 * model (uniform scale and translation) on the forward matches, kept when it
 * has `minInliers` inliers — the same bar — and one frame lies inside the other.
 */
function cropMatch(orbA: OrbFeatures, orbB: OrbFeatures, forward: GeometricMatch, o: ResolvedVerifyOptions): GeometricMatch | null {
  if (forward.matches < o.minInliers) return null;
  const model = fitCropModel(forward.matchedA, forward.matchedB, forward.matches, {
    thresholdPx: o.thresholdPx,
    minSpanPx: T.CROP_MODEL_MIN_SPAN_PX,
    maxAngleDeg: T.CROP_MODEL_MAX_ANGLE_DEG,
    minScale: T.CROP_MODEL_MIN_SCALE,
    maxScale: 1 / T.CROP_MODEL_MIN_SCALE,
    maxSampled: T.CROP_MODEL_MAX_SAMPLED,
  });
  if (!model || model.inliers.length < o.minInliers || !isContained(model, orbA, orbB, T.CROP_MODEL_FRAME_TOLERANCE)) return null;
  return {
    ...forward,
    h: cropHomography(model),
    inliersA: model.inliers.map((k) => forward.pairsA[k]!),
    inliersB: model.inliers.map((k) => forward.pairsB[k]!),
  };
}

/** True width of a record's image: its `width` when known, else the analysed frame's or the thumbnail's. */
function imageWidth(f: VerifyInput, orb: OrbFeatures | null, thumb: ThumbFeatures): number {
  const w = f['width'];
  return typeof w === 'number' && w > 0 ? w : (orb?.width ?? thumb.width);
}

/** The frame's true size over its analysed size (1 when the record does not say). */
function analysedScale(f: VerifyInput, orb: OrbFeatures): number {
  const w = f['width'];
  return typeof w === 'number' && w > 0 ? w / orb.width : 1;
}

function fromGeometry(a: VerifyInput, b: VerifyInput, orbA: OrbFeatures, orbB: OrbFeatures, geo: GeometricMatch, h: Homography): Verification {
  const frameA = { width: orbA.width, height: orbA.height };
  const frameB = { width: orbB.width, height: orbB.height };
  const ptsA = pointsAt(orbA.keypoints, geo.inliersA);
  const ptsB = pointsAt(geo.keypointsB, geo.inliersB);
  const c = correspondence(h, { frame: frameA, keypoints: orbA.keypoints, inliers: ptsA }, { frame: frameB, keypoints: geo.keypointsB, inliers: ptsB });
  const shared = Math.min(c.a.support, c.b.support) < T.MIN_SUPPORT;
  const whole = c.a.coveredFraction >= T.WHOLE_FRAME && c.b.coveredFraction >= T.WHOLE_FRAME;
  const sameScale = c.local.scale <= T.CELL_MAX_SCALE_CHANGE && c.local.scale >= 1 / T.CELL_MAX_SCALE_CHANGE;
  const unmatched =
    whole && !shared && sameScale
      ? unmatchedCells(orbA.keypoints, geo.inliersA, c.a.covered, frameA, T.CELL_GRID, T.CELL_MIN_EXPECTED_INLIERS) +
        unmatchedCells(geo.keypointsB, geo.inliersB, c.b.covered, frameB, T.CELL_GRID, T.CELL_MIN_EXPECTED_INLIERS)
      : 0;
  const snapped = Math.round(c.local.rotationDeg / 90) * 90;
  const axis = Math.abs(c.local.rotationDeg - snapped) <= T.AXIS_TOLERANCE_DEG;
  // `+ 0` turns -0 into 0
  const rotation = (axis ? (snapped === -180 ? 180 : snapped) : Math.round(c.local.rotationDeg * 10) / 10) + 0;
  const mirrored = geo.mirrored;
  const reasons: string[] = [];
  let verdict: VerifyResult['verdict'];
  if (shared || unmatched > 0) {
    verdict = 'derived';
    reasons.push(REASON.sharesRegion);
  } else if (whole && axis) {
    verdict = 'near_duplicate';
    if (rotation === 0 && !mirrored) reasons.push(REASON.resizedCopy);
  } else {
    verdict = 'derived';
    if (c.a.coveredFraction < T.WHOLE_FRAME) reasons.push(croppedReason('B', 'A', c.a.coveredFraction));
    // a free rotation pads B's corners: A then covers less of B without anything cropped from B
    else if (c.b.coveredFraction < T.WHOLE_FRAME && axis) reasons.push(croppedReason('A', 'B', c.b.coveredFraction));
  }
  const turned = rotatedReason(rotation);
  if (turned) reasons.push(turned);
  if (mirrored) reasons.push(REASON.mirrored);
  if (c.local.anisotropy > T.SIMILARITY_MAX_ANISOTROPY || c.perspective > T.SIMILARITY_MAX_PERSPECTIVE) reasons.push(REASON.viewpoint);
  const transform: VerifyTransform = {
    scale: round3((c.local.scale * analysedScale(b, orbB)) / analysedScale(a, orbA)),
    rotation_deg: rotation,
    mirrored,
  };
  // only a region shared (by support or by unmatched cells): the inliers' hull, not the projected frame
  const region = shared || unmatched > 0;
  const regionA = region ? c.a.hull : c.a.covered;
  const regionB = region ? c.b.hull : c.b.covered;
  const overlap = region ? { a: round3(c.a.hullFraction), b: round3(c.b.hullFraction) } : { a: round3(c.a.coveredFraction), b: round3(c.b.coveredFraction) };
  return {
    result: { verdict, inliers: geo.inliersA.length, matches: geo.matches, transform, overlap, reasons },
    geometry: { h, frameA, frameB, inliersA: ptsA, inliersB: ptsB, regionA, regionB },
  };
}

/** Pixel area of a record's image: true size when known, else the analysed frame. */
function area(f: VerifyInput, orb: OrbFeatures | null): number | null {
  const w = f['width'];
  const hgt = f['height'];
  if (typeof w === 'number' && typeof hgt === 'number' && w > 0 && hgt > 0) return w * hgt;
  return orb ? orb.width * orb.height : null;
}

function fromHashes(
  a: VerifyInput,
  b: VerifyInput,
  orbA: OrbFeatures | null,
  orbB: OrbFeatures | null,
  hashes: HashEvidence,
  maxDistance: number,
  geo: GeometricMatch | null,
  lowTexture: boolean,
): VerifyResult {
  const inliers = geo?.inliersA.length ?? 0;
  const matches = geo?.matches ?? 0;
  const areaA = area(a, orbA);
  const areaB = area(b, orbB);
  const scale = areaA && areaB ? round3(Math.sqrt(areaB / areaA)) : 1;
  const { phashDistance: d, orientation } = hashes;
  if (d !== null && d <= maxDistance) {
    return {
      verdict: 'near_duplicate', inliers, matches,
      transform: { scale, rotation_deg: 0, mirrored: false },
      overlap: { a: 1, b: 1 },
      reasons: [REASON.resizedCopy, hashReason(d)],
    };
  }
  if (orientation && orientation.distance <= maxDistance) {
    const reasons = [rotatedReason(orientation.rotationDeg), orientation.mirrored ? REASON.mirrored : null].filter((r): r is string => r !== null);
    return {
      verdict: 'near_duplicate', inliers, matches,
      transform: { scale, rotation_deg: orientation.rotationDeg, mirrored: orientation.mirrored },
      overlap: { a: 1, b: 1 },
      reasons: [...reasons, hashReason(orientation.distance)],
    };
  }
  return { verdict: 'unrelated', inliers, matches, transform: null, overlap: null, reasons: [lowTexture ? REASON.lowTexture : REASON.nothingShared] };
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
