/**
 * The verdict of verification when geometry cannot decide because an image is
 * texture-poor: appearance evidence (src/provenance/appearance.ts) in the
 * shape of a VerifyResult, with reasons that say it is appearance evidence.
 */
import { matchAppearance, matchSameFrame, toPlanes, type AppearanceMatch } from './appearance.js';
import { appearanceReason, REASON, rotatedReason, sameFrameReason } from './reasons.js';
import type { ThumbFeatures } from './thumb-input.js';
import * as T from './thresholds.js';
import type { VerifyResult } from './types.js';

/** One side of the comparison: its thumbnail and its true width in px. */
export interface AppearanceSide {
  thumb: ThumbFeatures;
  width: number;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function describe(m: AppearanceMatch, a: AppearanceSide, b: AppearanceSide): Pick<VerifyResult, 'verdict' | 'transform' | 'overlap'> & { seen: string } {
  if (m.kind === 'splice') {
    return { verdict: 'derived', transform: { scale: round3(b.width / a.width), rotation_deg: 0, mirrored: false }, overlap: { a: 0.5, b: 0.5 }, seen: `A and B share their ${m.half} half (a splice or a pasted region)` };
  }
  if (m.kind === 'overlay') {
    const keep = T.APPEARANCE_OVERLAY_KEEP;
    return { verdict: 'derived', transform: { scale: round3(b.width / a.width), rotation_deg: 0, mirrored: false }, overlap: { a: keep, b: keep }, seen: 'A and B are alike but for a region (a pasted patch)' };
  }
  const [inner, outer] = m.inner === 'b' ? [b, a] : [a, b];
  const p = m.placement;
  // the inner frame's share of the outer one, and outer image px per inner image px
  const fraction = Math.min(1, (p.kx * inner.thumb.width * p.ky * inner.thumb.height) / (outer.thumb.width * outer.thumb.height));
  const outerPerInner = (p.kx * inner.thumb.width * (outer.width / outer.thumb.width)) / inner.width;
  const theta = Math.round(p.theta);
  const turned = Math.abs(theta) >= T.AXIS_TOLERANCE_DEG;
  const scale = round3(m.inner === 'b' ? 1 / outerPerInner : outerPerInner);
  const overlap = m.inner === 'b' ? { a: round3(fraction), b: 1 } : { a: 1, b: round3(fraction) };
  if (!turned && fraction >= T.WHOLE_FRAME) {
    // a whole-frame fit the pHash missed: on the bench these were overlays (the patch among the
    // trimmed pixels) and a crop of a near-uniform image, so `derived`, not `near_duplicate`
    return { verdict: 'derived', transform: { scale, rotation_deg: 0, mirrored: false }, overlap: { a: 1, b: 1 }, seen: 'B looks like A as a whole (resized, recompressed or locally edited)' };
  }
  const pct = Math.round(fraction * 100);
  if (m.inner === 'a') {
    // A found in B: B is A turned (its padding around it), or A is a crop of B
    const seen = turned ? `B looks like A ${rotatedReason(theta) ?? ''}` : `A looks like a ${pct}% crop of B`;
    return { verdict: 'derived', transform: { scale, rotation_deg: turned ? theta : 0, mirrored: false }, overlap, seen };
  }
  // B found in A, turned by theta: B is a crop of A turned by -theta
  const seen = turned ? `B looks like a ${pct}% crop of A, ${rotatedReason(-theta) ?? ''}` : `B looks like a ${pct}% crop of A`;
  return { verdict: 'derived', transform: { scale, rotation_deg: turned ? -theta : 0, mirrored: false }, overlap, seen };
}

/**
 * Appearance verdict of two images of which one (at least) is texture-poor, or
 * null when their thumbnails do not match.
 */
export function fromAppearance(a: AppearanceSide, b: AppearanceSide, matches: number): VerifyResult | null {
  const m = matchAppearance(a.thumb, b.thumb);
  if (!m) return null;
  const { seen, ...rest } = describe(m, a, b);
  return { ...rest, inliers: 0, matches, reasons: [appearanceReason(seen)] };
}

/**
 * Verdict of two textured images on which geometry found nothing, from their
 * thumbnails laid over each other (a splice or an overlay whose keypoints lie
 * in the other part), or null. Cheap: no template search.
 */
export function fromSameFrame(a: AppearanceSide, b: AppearanceSide, matches: number): VerifyResult | null {
  const m = matchSameFrame(toPlanes(a.thumb), toPlanes(b.thumb));
  if (!m) return null;
  const shared = m.kind === 'splice' ? 0.5 : T.APPEARANCE_OVERLAY_KEEP;
  return {
    verdict: 'derived',
    inliers: 0,
    matches,
    transform: { scale: round3(b.width / a.width), rotation_deg: 0, mirrored: false },
    overlap: { a: shared, b: shared },
    reasons: [REASON.sharesRegion, sameFrameReason(m)],
  };
}
