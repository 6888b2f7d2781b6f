/**
 * Which of the query's keypoints a verified host explains: those within a few
 * pixels of one of its inliers (in the query's analysed frame). The donor
 * search votes with the others only.
 */

/** Pixels around an inlier within which a keypoint counts as explained (the RANSAC threshold). */
export const EXPLAINED_RADIUS_PX = 5;

export class ExplainedPoints {
  private readonly cells = new Map<number, number[]>();
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
