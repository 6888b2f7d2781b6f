/** The extractors and their algorithm versions; the combined string versions cached records. */
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import { KEY_SEGMENT } from '../rules.js';
import { DEFAULT_CACHE_OPTIONS } from '../cache/options.js';
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

/**
 * The feature version to configure a cache with when it stores extractFeatures
 * output: `${base}+${extractorVersion(options)}`, e.g.
 * `1.0+avg_color.1+ahash.1+dhash.1+phash.1+histogram.1+meta.1` (55 characters after
 * the base), so bumping any extractor turns old records into misses.
 * Throws FeatureCacheError INVALID_OPTIONS when the result breaks the cache's
 * version rule (letters, digits and `. _ + -`, 1..128 characters).
 * @param base the deployment's own version (FEATCACHE_FEATURE_VERSION). @default the cache's default featureVersion
 */
export function extractionFeatureVersion(base = DEFAULT_CACHE_OPTIONS.featureVersion, options?: Pick<ExtractOptions, 'histogramBins'>): string {
  const version = `${base}+${extractorVersion(options)}`;
  if (!KEY_SEGMENT.test(version)) {
    throw new FeatureCacheError(
      ErrorCodes.INVALID_OPTIONS,
      `feature version ${JSON.stringify(version)} must be 1-128 letters, digits or . _ + - (shorten the base version)`,
      { details: { option: 'featureVersion' } },
    );
  }
  return version;
}
