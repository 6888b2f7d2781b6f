/**
 * The region of a query that its verified host does not show: where a pasted
 * donor lies. A texture-poor patch pasted into a textured host keeps few
 * keypoints of its own in the composite (the host's texture fills the
 * keypoint budget, so the extractor's low-texture CLAHE pass never runs on the
 * frame), while its source photo got its keypoints from that pass. Cut out
 * alone, the patch falls short of the budget and the extractor (unchanged)
 * runs its CLAHE pass on it as it did on the photo: the donor tier votes and
 * verifies again with those keypoints (search.ts, `regionDonors`).
 *
 * The region: the largest rectangle of the query's analysed frame holding no
 * keypoint the hosts explain (explained.ts), large enough
 * (REGION_MIN_SHARE of the frame), and where a host has keypoints of its own
 * (REGION_MIN_HOST_KEYPOINTS, projected by its homography): host content the
 * query does not show, not a smooth area of the host. docs/PROVENANCE.md,
 * "donors".
 */
import sharp from 'sharp';
import { extractOrb } from '../../features/index.js';
import { invert, type Homography } from '../homography.js';
import type { OrbFeatures } from '../types.js';

/** Side of the occupancy grid's cells, analysed-frame px. */
export const REGION_CELL_PX = 16;
/** Smallest region worth a second extraction: this share of the query's frame (a quarter-size patch is ~25-35%). */
export const REGION_MIN_SHARE = 0.08;
/** Fewest host keypoints (by the host's homography) inside the region: the host has content there that the query does not show. */
export const REGION_MIN_HOST_KEYPOINTS = 24;

/** An axis-aligned box, px. */
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** A verified host: its ORB and the map from the query's analysed frame into its own (explained.ts). */
export interface RegionHost {
  orb: OrbFeatures;
  inverse: Homography;
}

/**
 * The occluded region of the query's analysed frame (`width` x `height`), or
 * null: the largest rectangle of grid cells holding none of `explained` (x, y
 * pairs: the query keypoints the hosts explain), when it covers
 * REGION_MIN_SHARE of the frame and REGION_MIN_HOST_KEYPOINTS host keypoints.
 */
export function occludedRegion(frame: { width: number; height: number }, explained: readonly number[], hosts: readonly RegionHost[]): Box | null {
  const cols = Math.ceil(frame.width / REGION_CELL_PX);
  const rows = Math.ceil(frame.height / REGION_CELL_PX);
  if (cols < 1 || rows < 1) return null;
  const occupied = new Uint8Array(cols * rows);
  for (let i = 0; i + 1 < explained.length; i += 2) {
    const c = Math.min(cols - 1, Math.max(0, Math.floor(explained[i]! / REGION_CELL_PX)));
    const r = Math.min(rows - 1, Math.max(0, Math.floor(explained[i + 1]! / REGION_CELL_PX)));
    occupied[r * cols + c] = 1;
  }
  const cells = largestEmptyRectangle(occupied, cols, rows);
  if (!cells) return null;
  const left = cells.left * REGION_CELL_PX;
  const top = cells.top * REGION_CELL_PX;
  const box = { left, top, width: Math.min(frame.width, (cells.left + cells.width) * REGION_CELL_PX) - left, height: Math.min(frame.height, (cells.top + cells.height) * REGION_CELL_PX) - top };
  if (box.width * box.height < REGION_MIN_SHARE * frame.width * frame.height) return null;
  return hostKeypointsIn(box, hosts) >= REGION_MIN_HOST_KEYPOINTS ? box : null;
}

/** The largest all-zero rectangle of a cols x rows grid (the histogram method, one pass over the rows), in cells. */
export function largestEmptyRectangle(occupied: Uint8Array, cols: number, rows: number): Box | null {
  const heights = new Int32Array(cols);
  let best: Box | null = null;
  let bestArea = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) heights[c] = occupied[r * cols + c] ? 0 : heights[c]! + 1;
    const stack: number[] = [];
    for (let c = 0; c <= cols; c++) {
      const h = c < cols ? heights[c]! : 0;
      while (stack.length > 0 && heights[stack.at(-1)!]! >= h) {
        const top = stack.pop()!;
        const height = heights[top]!;
        const from = stack.length > 0 ? stack.at(-1)! + 1 : 0;
        const area = height * (c - from);
        if (area > bestArea) {
          bestArea = area;
          best = { left: from, top: r - height + 1, width: c - from, height };
        }
      }
      stack.push(c);
    }
  }
  return best;
}

/** Host keypoints that the hosts' homographies (host -> query) put inside `box`, the most of any host. */
function hostKeypointsIn(box: Box, hosts: readonly RegionHost[]): number {
  let most = 0;
  for (const host of hosts) {
    const h = invert(host.inverse);
    if (!h) continue;
    let n = 0;
    for (let j = 0; 2 * j + 1 < host.orb.keypoints.length; j++) {
      const x = host.orb.keypoints[2 * j]!;
      const y = host.orb.keypoints[2 * j + 1]!;
      const w = h[6]! * x + h[7]! * y + h[8]!;
      if (!(w > 0)) continue;
      const u = (h[0]! * x + h[1]! * y + h[2]!) / w;
      const v = (h[3]! * x + h[4]! * y + h[5]!) / w;
      if (u >= box.left && u < box.left + box.width && v >= box.top && v < box.top + box.height) n++;
    }
    most = Math.max(most, n);
  }
  return most;
}

/**
 * ORB of the query image cut to `box` (analysed-frame px of a frame `frameWidth`
 * wide), by the extractor records are made with: keypoints in the cut's own frame.
 */
export async function regionOrb(image: Buffer, frameWidth: number, box: Box): Promise<OrbFeatures> {
  const meta = await sharp(image).metadata();
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  const s = width / frameWidth;
  const left = Math.max(0, Math.floor(box.left * s));
  const top = Math.max(0, Math.floor(box.top * s));
  const cut = {
    left,
    top,
    width: Math.max(1, Math.min(width - left, Math.round(box.width * s))),
    height: Math.max(1, Math.min(height - top, Math.round(box.height * s))),
  };
  const png = await sharp(image).extract(cut).png({ compressionLevel: 0 }).toBuffer();
  return extractOrb(png);
}
