import { describe, expect, it } from 'vitest';
import { decideDirection, type EdgeFacts } from '../../src/provenance/direction.js';
import { extentBeyond, type SideExtent } from '../../src/provenance/extent.js';
import type { VerifyResult } from '../../src/provenance/types.js';

const side = (extent: SideExtent['extent'], outsideFraction = 0): SideExtent => ({ extent, outsideFraction, keypointsOutside: 0, expectedOutside: 0 });
const result = (over: Partial<VerifyResult>): VerifyResult => ({
  verdict: 'derived',
  inliers: 100,
  matches: 120,
  transform: { scale: 1, rotation_deg: 0, mirrored: false },
  overlap: { a: 0.5, b: 1 },
  reasons: [],
  ...over,
});
const facts = (over: Partial<EdgeFacts>): EdgeFacts => ({
  a: 'A',
  b: 'B',
  result: result({}),
  geometry: { inliersA: [], inliersB: [], extentA: side('content', 0.5), extentB: side('inside') },
  aPartOfB: null,
  bPartOfA: null,
  ...over,
});

describe('decideDirection', () => {
  it('points a crop from its source, also when the pair was verified the other way round', () => {
    expect(decideDirection(facts({}))).toMatchObject({ from: 'A', to: 'B', directed: true, confidence: 0.7 });
    const reversed = decideDirection(
      facts({ result: result({ overlap: { a: 1, b: 0.5 } }), geometry: { inliersA: [], inliersB: [], extentA: side('inside'), extentB: side('content', 0.5) } }),
    );
    expect(reversed).toMatchObject({ from: 'B', to: 'A', directed: true });
    expect(reversed.reasons[0]).toBe('cropped: "A" lies inside "B", which shows content beyond it ("A" shows about 50% of it)');
  });

  it('lets a crop outweigh an enlargement, and says so', () => {
    const d = decideDirection(facts({ result: result({ transform: { scale: 1.5, rotation_deg: 0, mirrored: false } }) }));
    expect(d).toMatchObject({ from: 'A', to: 'B', directed: true });
    expect(d.confidence).toBeCloseTo(0.3, 10);
    expect(d.reasons[1]).toMatch(/^outweighed: resampled: "A" is a 67% reduced copy of "B"/);
  });

  it('answers "direction unknown" without evidence or when the evidence cancels out', () => {
    const same = decideDirection(facts({ result: result({ verdict: 'near_duplicate', overlap: { a: 1, b: 1 } }), geometry: { inliersA: [], inliersB: [], extentA: side('inside'), extentB: side('inside') } }));
    expect(same).toMatchObject({ from: 'A', to: 'B', directed: false, confidence: 0 });
    expect(same.reasons[0]).toMatch(/^direction unknown: the same picture at about the same size/);
    const siblings = decideDirection(facts({ geometry: { inliersA: [], inliersB: [], extentA: side('content', 0.4), extentB: side('content', 0.4) } }));
    expect(siblings.reasons[0]).toBe('direction unknown: each shows content the other lacks (both may come from a common source)');
    const both = decideDirection(facts({ aPartOfB: ['C'], bPartOfA: ['D'], geometry: null }));
    expect(both.directed).toBe(false);
    expect(both.reasons[0]).toBe('direction unknown: the evidence conflicts');
  });

  it('tells the rotation from `from` to `to`', () => {
    const turned = result({ overlap: { a: 1, b: 0.7 }, transform: { scale: 1, rotation_deg: 10, mirrored: false } });
    const padded = { inliersA: [], inliersB: [], extentA: side('inside'), extentB: side('blank', 0.3) };
    expect(decideDirection(facts({ result: turned, geometry: padded })).reasons).toContain('rotated 10°');
    const back = decideDirection(facts({ result: turned, geometry: { inliersA: [], inliersB: [], extentA: side('blank', 0.3), extentB: side('inside') } }));
    expect(back).toMatchObject({ from: 'B', to: 'A', directed: true });
    expect(back.reasons).toContain('rotated 10° counterclockwise');
  });
});

describe('extentBeyond', () => {
  // keypoints on a 20 px grid over a 400 x 400 frame; the other frame covers the left half
  const grid = (keep: (x: number, y: number) => boolean) => {
    const pts: number[] = [];
    for (let x = 30; x < 370; x += 20) for (let y = 30; y < 370; y += 20) if (keep(x, y)) pts.push(x, y);
    return pts;
  };
  const frame = { width: 400, height: 400 };
  const leftHalf = [0, 0, 200, 0, 200, 400, 0, 400];
  it('tells content, blank fill and "inside" apart', () => {
    expect(extentBeyond(grid(() => true), frame, leftHalf).extent).toBe('content');
    expect(extentBeyond(grid((x) => x < 200), frame, leftHalf).extent).toBe('blank');
    expect(extentBeyond(grid(() => true), frame, [0, 0, 400, 0, 400, 400, 0, 400]).extent).toBe('inside');
    // too few keypoints inside to predict any out there
    expect(extentBeyond(grid((x, y) => x < 100 && y < 60), frame, leftHalf).extent).toBe('unclear');
  });
});
