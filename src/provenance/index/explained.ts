/**
 * Which of the query's keypoints a verified host explains: those within a few
 * pixels of one of its inliers (in the query's analysed frame), and those the
 * host's homography maps onto a keypoint of the host with a similar
 * descriptor (host content that matching left out: a repeated texture fails
 * the ratio test, yet the keypoint is the host's). The donor search votes with
 * the others only, so that what remains is the content no host shows.
 */
import { popcount32 } from '../../search/hash64.js';
import type { Homography } from '../homography.js';
import type { OrbFeatures } from '../types.js';

/** Pixels around an inlier within which a keypoint counts as explained (the RANSAC threshold). */
export const EXPLAINED_RADIUS_PX = 5;

/**
 * Most differing bits (of 256) between a query descriptor and the host's at the
 * position the homography predicts for the keypoint to count as the host's.
 * Unrelated ORB descriptors differ by ~128 bits; a keypoint of the same corner
 * re-encoded differs by < 50 (verification's matches).
 */
export const HOST_DESCRIPTOR_MAX_BITS = 64;

/** A verified host's view of the query: its keypoints on a grid, and the map from the query's frame into its own. */
interface HostView {
  /** Query frame -> host frame. */
  inverse: Homography;
  orb: OrbFeatures;
  grid: Map<number, number[]>;
}

export class ExplainedPoints {
  private readonly cells = new Map<number, number[]>();
  private readonly hosts: HostView[] = [];
  private count = 0;

  constructor(private readonly radius = EXPLAINED_RADIUS_PX) {}

  /** Adds inlier positions (x, y pairs). */
  add(points: readonly number[]): void {
    for (let i = 0; i + 1 < points.length; i += 2) {
      const key = this.cellKey(Math.floor(points[i]! / this.radius), Math.floor(points[i + 1]! / this.radius));
      const list = this.cells.get(key);
      if (list) list.push(points[i]!, points[i + 1]!);
      else this.cells.set(key, [points[i]!, points[i + 1]!]);
      this.count++;
    }
  }

  get size(): number {
    return this.count;
  }

  /**
   * Adds a verified host: its ORB and `inverse`, the map from the query's
   * analysed frame into the host's (the inverse of verification's A -> B homography).
   */
  addHost(orb: OrbFeatures, inverse: Homography): void {
    const grid = new Map<number, number[]>();
    for (let j = 0; 2 * j + 1 < orb.keypoints.length; j++) {
      const key = this.cellKey(Math.floor(orb.keypoints[2 * j]! / this.radius), Math.floor(orb.keypoints[2 * j + 1]! / this.radius));
      const list = grid.get(key);
      if (list) list.push(j);
      else grid.set(key, [j]);
    }
    this.hosts.push({ inverse, orb, grid });
  }

  /**
   * Whether a query keypoint at (x, y) with descriptor `k` of `descriptors` (32
   * bytes each) is explained: near an inlier, or mapped by a host's homography
   * within the radius of a host keypoint whose descriptor differs by at most
   * HOST_DESCRIPTOR_MAX_BITS.
   */
  explains(x: number, y: number, descriptors: Uint8Array, k: number): boolean {
    if (this.covers(x, y)) return true;
    const r2 = this.radius * this.radius;
    for (const host of this.hosts) {
      const h = host.inverse;
      const w = h[6]! * x + h[7]! * y + h[8]!;
      if (!(w > 0)) continue;
      const u = (h[0]! * x + h[1]! * y + h[2]!) / w;
      const v = (h[3]! * x + h[4]! * y + h[5]!) / w;
      const cu = Math.floor(u / this.radius);
      const cv = Math.floor(v / this.radius);
      for (let dx = -1; dx <= 1; dx++) {
        for (let dy = -1; dy <= 1; dy++) {
          for (const j of host.grid.get(this.cellKey(cu + dx, cv + dy)) ?? []) {
            const ex = host.orb.keypoints[2 * j]! - u;
            const ey = host.orb.keypoints[2 * j + 1]! - v;
            if (ex * ex + ey * ey <= r2 && descriptorBits(descriptors, k, host.orb.descriptors, j) <= HOST_DESCRIPTOR_MAX_BITS) return true;
          }
        }
      }
    }
    return false;
  }

  /** Whether (x, y) lies within the radius of an added point. */
  covers(x: number, y: number): boolean {
    const cx = Math.floor(x / this.radius);
    const cy = Math.floor(y / this.radius);
    const r2 = this.radius * this.radius;
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        const list = this.cells.get(this.cellKey(cx + dx, cy + dy));
        if (!list) continue;
        for (let i = 0; i < list.length; i += 2) {
          const ex = list[i]! - x;
          const ey = list[i + 1]! - y;
          if (ex * ex + ey * ey <= r2) return true;
        }
      }
    }
    return false;
  }

  private cellKey(cx: number, cy: number): number {
    return (cx + 4096) * 16384 + (cy + 4096);
  }
}

/** Differing bits between descriptor i of `a` and descriptor j of `b` (32 bytes each). */
function descriptorBits(a: Uint8Array, i: number, b: Uint8Array, j: number): number {
  let d = 0;
  for (let o = 0; o < 32; o += 4) {
    const x = (a[32 * i + o]! | (a[32 * i + o + 1]! << 8) | (a[32 * i + o + 2]! << 16) | (a[32 * i + o + 3]! << 24)) ^
      (b[32 * j + o]! | (b[32 * j + o + 1]! << 8) | (b[32 * j + o + 2]! << 16) | (b[32 * j + o + 3]! << 24));
    d += popcount32(x >>> 0);
  }
  return d;
}
