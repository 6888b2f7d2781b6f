/**
 * Scores of a provenance graph against the true one, as NIST's Media
 * Forensics Challenge defines them (usnistgov/MediScore): each is a Dice
 * overlap of two sets, 2|X ∩ X'| / (|X| + |X'|).
 * - SimNO: node overlap; SimLO: link (edge) overlap, here on undirected links;
 * - SimNLO = 2(|N ∩ N'| + |L ∩ L'|) / (|N| + |N'| + |L| + |L'|);
 * - directed link overlap: SimLO over (from, to) pairs, where a predicted edge
 *   without a direction matches no true edge;
 * - direction accuracy: of the true links found, the share whose predicted
 *   direction is right (an undirected prediction counts as not right), and the
 *   same among the directed predictions only.
 * A graph's nodes are the images that take part in at least one edge (an
 * isolated image is not part of the provenance), unless `nodes` lists them.
 * Two empty sets overlap fully (1).
 */

export interface ScoredEdge {
  from: string;
  to: string;
  /** @default true */
  directed?: boolean;
}

export interface ScoredGraph {
  edges: readonly ScoredEdge[];
  /** The graph's nodes; default: every endpoint of an edge. */
  nodes?: readonly string[];
}

export interface GraphScore {
  simNO: number;
  simLO: number;
  simNLO: number;
  /** SimLO over directed links. */
  simLODirected: number;
  /** True links found (undirected). */
  linksFound: number;
  /** Of those, the predicted direction is right / the prediction is directed. */
  directionRight: number;
  directionDecided: number;
  /** directionRight / linksFound (null without links found). */
  directionAccuracy: number | null;
  /** directionRight / directionDecided (null when nothing was decided). */
  directedPrecision: number | null;
}

function dice(common: number, x: number, y: number): number {
  return x + y === 0 ? 1 : (2 * common) / (x + y);
}

const undirectedKey = (e: ScoredEdge) => JSON.stringify(e.from < e.to ? [e.from, e.to] : [e.to, e.from]);
const directedKey = (e: ScoredEdge) => JSON.stringify([e.from, e.to]);

function nodesOf(g: ScoredGraph): Set<string> {
  return new Set(g.nodes ?? g.edges.flatMap((e) => [e.from, e.to]));
}

function intersection<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): number {
  let n = 0;
  for (const x of a) if (b.has(x)) n++;
  return n;
}

/** Scores `predicted` against `truth` (the true graph's edges are directed). */
export function scoreGraph(predicted: ScoredGraph, truth: ScoredGraph): GraphScore {
  const n1 = nodesOf(predicted);
  const n2 = nodesOf(truth);
  const l1 = new Set(predicted.edges.map(undirectedKey));
  const l2 = new Set(truth.edges.map(undirectedKey));
  const d1 = new Set(predicted.edges.filter((e) => e.directed !== false).map(directedKey));
  const d2 = new Set(truth.edges.map(directedKey));
  const nodesCommon = intersection(n1, n2);
  const linksCommon = intersection(l1, l2);
  let right = 0;
  let decided = 0;
  const byLink = new Map(predicted.edges.map((e) => [undirectedKey(e), e]));
  for (const t of truth.edges) {
    const p = byLink.get(undirectedKey(t));
    if (!p || p.directed === false) continue;
    decided++;
    if (p.from === t.from) right++;
  }
  return {
    simNO: dice(nodesCommon, n1.size, n2.size),
    simLO: dice(linksCommon, l1.size, l2.size),
    simNLO: n1.size + n2.size + l1.size + l2.size === 0 ? 1 : (2 * (nodesCommon + linksCommon)) / (n1.size + n2.size + l1.size + l2.size),
    simLODirected: dice(intersection(d1, d2), l1.size, d2.size),
    linksFound: linksCommon,
    directionRight: right,
    directionDecided: decided,
    directionAccuracy: linksCommon === 0 ? null : right / linksCommon,
    directedPrecision: decided === 0 ? null : right / decided,
  };
}
