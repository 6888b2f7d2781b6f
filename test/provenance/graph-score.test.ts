import { describe, expect, it } from 'vitest';
import { scoreGraph } from '../../src/provenance/graph-score.js';

// true history: A -> B -> C, A -> D
const truth = { edges: [{ from: 'A', to: 'B' }, { from: 'B', to: 'C' }, { from: 'A', to: 'D' }] };

describe('scoreGraph (NIST MFC SimNO / SimLO / SimNLO)', () => {
  it('scores a hand-checked prediction', () => {
    const s = scoreGraph(
      {
        edges: [
          { from: 'A', to: 'B' }, // right
          { from: 'C', to: 'B', directed: false }, // link right, direction unknown
          { from: 'D', to: 'A' }, // link right, direction wrong
          { from: 'E', to: 'F' }, // not in the truth
        ],
      },
      truth,
    );
    // nodes {A..F} vs {A..D}: 2*4 / (6+4)
    expect(s.simNO).toBeCloseTo(0.8, 10);
    // links {AB, BC, AD, EF} vs {AB, BC, AD}: 2*3 / (4+3)
    expect(s.simLO).toBeCloseTo(6 / 7, 10);
    // 2(4+3) / (6+4+4+3)
    expect(s.simNLO).toBeCloseTo(14 / 17, 10);
    // directed: only A->B matches: 2*1 / (4+3)
    expect(s.simLODirected).toBeCloseTo(2 / 7, 10);
    expect(s).toMatchObject({ linksFound: 3, directionDecided: 2, directionRight: 1 });
    expect(s.directionAccuracy).toBeCloseTo(1 / 3, 10);
    expect(s.directedPrecision).toBeCloseTo(1 / 2, 10);
  });

  it('gives 1 for the true graph and 0 for a disjoint one', () => {
    expect(scoreGraph(truth, truth)).toMatchObject({ simNO: 1, simLO: 1, simNLO: 1, simLODirected: 1, directionAccuracy: 1 });
    const s = scoreGraph({ edges: [{ from: 'X', to: 'Y' }] }, truth);
    expect(s).toMatchObject({ simNO: 0, simLO: 0, simNLO: 0, simLODirected: 0, linksFound: 0, directionAccuracy: null, directedPrecision: null });
  });

  it('counts listed isolated nodes and treats links as undirected for SimLO', () => {
    // the reversed chain: every link found, every direction wrong
    const reversed = scoreGraph({ edges: truth.edges.map((e) => ({ from: e.to, to: e.from })) }, truth);
    expect(reversed).toMatchObject({ simLO: 1, simLODirected: 0, directionAccuracy: 0 });
    // an explicit node list: a predicted isolated node counts
    const s = scoreGraph({ nodes: ['A', 'B', 'Z'], edges: [{ from: 'A', to: 'B' }] }, truth);
    expect(s.simNO).toBeCloseTo((2 * 2) / (3 + 4), 10);
    expect(scoreGraph({ edges: [] }, { edges: [] })).toMatchObject({ simNO: 1, simLO: 1, simNLO: 1 });
  });
});
