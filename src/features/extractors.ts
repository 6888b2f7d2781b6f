/** The extractors and their algorithm versions; the combined string versions cached records. */
import { DEFAULT_HISTOGRAM_BINS, type ExtractOptions } from './options.js';

export interface ExtractorInfo {
  readonly name: string;
  /** Bumped whenever the extractor's output for the same image can change. */
  readonly version: string;
}

/** Every extractor run by extractFeatures, in output order. */
export const EXTRACTORS: ReadonlyArray<ExtractorInfo> = Object.freeze([
  Object.freeze({ name: 'avg_color', version: '1' }),
  Object.freeze({ name: 'ahash', version: '1' }),
  Object.freeze({ name: 'dhash', version: '1' }),
  Object.freeze({ name: 'phash', version: '1' }),
  Object.freeze({ name: 'histogram', version: '1' }),
  Object.freeze({ name: 'meta', version: '1' }),
]);

/**
 * `name.version` of every extractor joined with `+`, e.g.
 * `avg_color.1+ahash.1+dhash.1+phash.1+histogram.1+meta.1`. A non-default
 * `histogramBins` changes the histogram's layout, so it is appended (`histogram.1-b16`):
 * records extracted with different bin counts never share a version.
 */
export function extractorVersion(options?: Pick<ExtractOptions, 'histogramBins'>): string {
  const bins = options?.histogramBins ?? DEFAULT_HISTOGRAM_BINS;
  return EXTRACTORS.map((e) =>
    e.name === 'histogram' && bins !== DEFAULT_HISTOGRAM_BINS ? `${e.name}.${e.version}-b${bins}` : `${e.name}.${e.version}`,
  ).join('+');
}
