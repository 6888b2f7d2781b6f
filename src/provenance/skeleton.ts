/**
 * The skeleton of a provenance graph: a maximum spanning tree (a forest when
 * the set falls apart) over weighted edges, by Kruskal's algorithm. Ties keep
 * the input order, so the same edges always give the same tree.
 */
import { UnionFind } from './union-find.js';

export interface WeightedEdge {
  /** Node indexes. */
  a: number;
  b: number;
  weight: number;
}

/** The edges of a maximum spanning forest of `n` nodes, in the order they were taken (heaviest first). */
export function maximumSpanningForest<E extends WeightedEdge>(n: number, edges: readonly E[]): E[] {
  const sets = new UnionFind(n);
  const order = edges.map((e, i) => ({ e, i }));
  order.sort((x, y) => y.e.weight - x.e.weight || x.i - y.i);
  const taken: E[] = [];
  for (const { e } of order) {
    if (!sets.union(e.a, e.b)) continue;
    taken.push(e);
    if (taken.length === n - 1) break;
  }
  return taken;
}
