/** The benchmark charts' value axes (bench/report/svg.ts): ticks, units, and a log origin at a power of ten. */
import { describe, expect, it } from 'vitest';
import { barChartSvg, linearAxis, logAxis, tickLabel } from '../../bench/report/svg.js';

describe('chart axes', () => {
  it('a log axis starts at the decade below the smallest value, so bar lengths read against labelled decades', () => {
    // the case: 9,272 and 244,266 images/s
    const axis = logAxis(9272, 244_266, 'images/s');
    expect(axis.ticks.filter((t) => t.major).map((t) => t.v)).toEqual([1000, 10_000, 100_000, 1_000_000]);
    expect(axis.pos(1000)).toBe(0);
    expect(axis.pos(1_000_000)).toBe(1);
    // one decade is a third of the axis: 10k and 100k are exactly one third apart
    expect(axis.pos(100_000) - axis.pos(10_000)).toBeCloseTo(1 / 3, 9);
    expect(axis.caption).toMatch(/images\/s \(log scale/);
  });

  it('a linear axis starts at 0 and ends on a round tick at or above the maximum', () => {
    const axis = linearAxis(45, 'ms');
    expect(axis.ticks.map((t) => t.v)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(axis.pos(25)).toBeCloseTo(0.5, 9);
    expect(linearAxis(230, 'B').ticks.at(-1)!.v).toBe(250);
  });

  it('tick labels are short, and every chart draws its ticks and unit', () => {
    expect([tickLabel(0), tickLabel(2.5), tickLabel(2500), tickLabel(100_000), tickLabel(1_000_000)]).toEqual(['0', '2.5', '2.5k', '100k', '1M']);
    const svg = barChartSvg({ title: 't', unit: 'images/s', categories: ['a', 'b'], series: [{ name: 's', values: [9272, 244_266] }], log: true });
    for (const label of ['>1k<', '>10k<', '>100k<', '>1M<', '>images/s<']) expect(svg).toContain(label);
  });
});
