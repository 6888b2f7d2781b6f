/**
 * Grid-spread keypoint selection: keep `budget` keypoints out of more candidates so
 * that every region of the image keeps some. Measured in the provenance prototype:
 * choosing by strength alone spends the budget on the most textured half, and then
 * splices and overlays of the other half are missed (recall 80% -> 85% with the grid).
 *
 * 1. the frame is cut into `grid` x `grid` cells; each cell first keeps up to
 *    `floor(budget / grid^2)` of its strongest candidates;
 * 2. the budget left (cells with fewer candidates leave some) goes to the strongest
 *    candidates not yet kept, wherever they are.
 * The result is ordered strongest first (ties: lower index first), so it is
 * deterministic and a prefix is the best smaller selection.
 */

export interface Candidate {
  readonly x: number;
  readonly y: number;
  readonly response: number;
}

/** Cells per side of the selection grid (6 x 6, as measured). */
export const ORB_GRID = 6;

/** Indices into `candidates` of the kept ones, strongest first. */
export function selectGridSpread(
  candidates: ReadonlyArray<Candidate>,
  width: number,
  height: number,
  budget: number,
  grid = ORB_GRID,
): number[] {
  const order = candidates.map((_, i) => i);
  order.sort((a, b) => candidates[b]!.response - candidates[a]!.response || a - b);
  if (order.length <= budget) return order;

  const quota = Math.floor(budget / (grid * grid));
  const perCell = new Uint32Array(grid * grid);
  const kept = new Uint8Array(candidates.length);
  let n = 0;
  if (quota > 0) {
    for (const i of order) {
      const c = candidates[i]!;
      const cx = Math.min(grid - 1, Math.max(0, Math.floor((c.x * grid) / width)));
      const cy = Math.min(grid - 1, Math.max(0, Math.floor((c.y * grid) / height)));
      const cell = cy * grid + cx;
      if (perCell[cell]! < quota) {
        perCell[cell]! += 1;
        kept[i] = 1;
        n += 1;
      }
    }
  }
  for (const i of order) {
    if (n >= budget) break;
    if (kept[i] === 0) {
      kept[i] = 1;
      n += 1;
    }
  }
  return order.filter((i) => kept[i] === 1);
}
