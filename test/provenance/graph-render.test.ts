import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { ProvenanceGraph } from '../../src/index.js';
import { graphSvg, renderGraph } from '../../src/provenance/graph-render.js';

const graph: ProvenanceGraph = {
  nodes: [{ imageId: 'a' }, { imageId: 'b' }, { imageId: 'c<&>' }, { imageId: 'splice' }, { imageId: 'lone' }, { imageId: 'gone', missing: true }],
  edges: [
    { from: 'a', to: 'b', directed: true, confidence: 0.7, inliers: 200, reasons: ['cropped: "b" lies inside "a"'] },
    { from: 'b', to: 'splice', directed: true, confidence: 0.8, inliers: 90, reasons: ['composite'] },
    { from: 'c<&>', to: 'splice', directed: false, confidence: 0.6, inliers: 40, reasons: ['direction unknown: test'] },
  ],
  composites: ['splice'],
  stats: { images: 6, candidates: 3, verified: 3, ms: 1 },
};

describe('graph pictures', () => {
  it('draws directed edges as arrows, unknown ones dashed, composites and missing images marked, text escaped', () => {
    const svg = graphSvg(graph);
    expect(svg.match(/marker-end="url\(#arrow\)"/g)?.length).toBe(2 + 1); // two edges + the legend
    expect(svg.match(/stroke-dasharray="6 4"/g)?.length).toBe(1 + 1); // one edge + the legend
    expect(svg).toContain('>composite<');
    expect(svg).toContain('>no cached record<');
    expect(svg).toContain('c&#60;&#38;&#62;');
    expect(svg).not.toContain('c<&>');
  });

  it('rasterises to a PNG and refuses other formats', async () => {
    const png = await renderGraph(graph, 'png');
    expect((await sharp(png).metadata()).format).toBe('png');
    await expect(renderGraph(graph, 'gif' as 'png')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
