/**
 * The extractors, their algorithm versions and the selection by name; the combined
 * string versions cached records.
 */
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import { KEY_SEGMENT } from '../rules.js';
import { DEFAULT_CACHE_OPTIONS } from '../cache/options.js';
import { DEFAULT_HISTOGRAM_BINS, type ExtractOptions } from './options.js';
import { DEFAULT_ORB_KEYPOINTS } from './orb.js';
// options.ts imports this module too: both use each other's values inside functions only.

export interface ExtractorInfo {
  readonly name: string;
  /** Bumped whenever the extractor's output for the same image can change. */
  readonly version: string;
}

/** Every extractor, in output (and version-string) order. */
export const EXTRACTORS = Object.freeze([
  Object.freeze({ name: 'avg_color', version: '1' }),
  Object.freeze({ name: 'ahash', version: '1' }),
  Object.freeze({ name: 'dhash', version: '1' }),
  Object.freeze({ name: 'phash', version: '1' }),
  Object.freeze({ name: 'histogram', version: '1' }),
  Object.freeze({ name: 'meta', version: '1' }),
  Object.freeze({ name: 'orb', version: '2' }),
  Object.freeze({ name: 'phash_dihedral', version: '1' }),
  Object.freeze({ name: 'whash', version: '1' }),
  Object.freeze({ name: 'colorhash', version: '1' }),
  Object.freeze({ name: 'content_hash', version: '1' }),
  Object.freeze({ name: 'thumb', version: '1' }),
] as const) satisfies ReadonlyArray<ExtractorInfo>;

/** An extractor's name: `orb`, `phash`, `meta` (width, height, format), ... */
export type ExtractorName = (typeof EXTRACTORS)[number]['name'];

/**
 * What extractFeatures runs when no `extractors` are given: all of them — the
 * similarity hashes and the provenance evidence (ORB keypoints, dihedral pHash,
 * wHash, colorhash, content hash, appearance thumbnail). ORB is most of the cost
 * (docs/FEATURES.md).
 */
export const DEFAULT_EXTRACTORS: readonly ExtractorName[] = Object.freeze(EXTRACTORS.map((e) => e.name));

const BY_NAME: ReadonlyMap<string, ExtractorName> = new Map(EXTRACTORS.map((e) => [e.name, e.name]));

/**
 * Validates a selection of extractor names: a non-empty array of known names
 * (duplicates are ignored). Throws FeatureCacheError INVALID_OPTIONS naming the
 * first unknown name.
 */
export function resolveExtractorSelection(names: unknown): ReadonlySet<ExtractorName> {
  if (!Array.isArray(names) || names.length === 0) {
    throw new FeatureCacheError(ErrorCodes.INVALID_OPTIONS, 'extractors must be a non-empty array of extractor names', {
      details: { option: 'extractors' },
    });
  }
  const out = new Set<ExtractorName>();
  for (const n of names as unknown[]) {
    const name = typeof n === 'string' ? BY_NAME.get(n) : undefined;
    if (name === undefined) {
      throw new FeatureCacheError(
        ErrorCodes.INVALID_OPTIONS,
        `unknown extractor ${JSON.stringify(n)}; known: ${EXTRACTORS.map((e) => e.name).join(', ')}`,
        { details: { option: 'extractors', extractor: String(n) } },
      );
    }
    out.add(name);
  }
  return out;
}

/** The options that change what the selected extractors write. */
export type VersionedOptions = Pick<ExtractOptions, 'extractors' | 'histogramBins' | 'orbKeypoints' | 'orbMirror'>;

/**
 * `name.version` of each selected extractor (all by default) joined with `+`, in
 * EXTRACTORS order, e.g. `phash.1+orb.2`. A non-default option that changes an
 * extractor's output is appended to its entry: `histogram.1-b16` (histogramBins),
 * `orb.2-k1000` (orbKeypoints), `orb.2-m` (orbMirror). So different selections and settings never share
 * a version. Throws INVALID_OPTIONS for an invalid selection.
 */
export function extractorVersion(options?: VersionedOptions): string {
  const selected = options?.extractors === undefined ? undefined : resolveExtractorSelection(options.extractors);
  const parts: string[] = [];
  for (const e of EXTRACTORS) {
    if (selected !== undefined && !selected.has(e.name)) continue;
    let part = `${e.name}.${e.version}`;
    if (e.name === 'histogram' && options?.histogramBins !== undefined) part += suffix('b', options.histogramBins, DEFAULT_HISTOGRAM_BINS);
    if (e.name === 'orb' && options?.orbKeypoints !== undefined) part += suffix('k', options.orbKeypoints, DEFAULT_ORB_KEYPOINTS);
    if (e.name === 'orb' && options?.orbMirror === true) part += '-m';
    parts.push(part);
  }
  return parts.join('+');
}

function suffix(letter: string, value: number, fallback: number): string {
  return value === fallback ? '' : `-${letter}${value}`;
}

/**
 * The feature version to configure a cache with when it stores extractFeatures
 * output: `${base}+${extractorVersion(options)}`. With the default selection that is
 * `1.0+avg_color.1+ahash.1+dhash.1+phash.1+histogram.1+meta.1+orb.2+phash_dihedral.1+whash.1+colorhash.1+content_hash.1+thumb.1`
 * (121 characters after the base and its `+`, so the base may have up to 134), and
 * bumping any extractor turns old records into misses.
 * Throws FeatureCacheError INVALID_OPTIONS when the result breaks the cache's
 * version rule (letters, digits and `. _ + -`, 1..256 characters).
 * @param base the deployment's own version (FEATCACHE_FEATURE_VERSION). @default the cache's default featureVersion
 */
export function extractionFeatureVersion(base = DEFAULT_CACHE_OPTIONS.featureVersion, options?: VersionedOptions): string {
  const version = `${base}+${extractorVersion(options)}`;
  if (!KEY_SEGMENT.test(version)) {
    throw new FeatureCacheError(
      ErrorCodes.INVALID_OPTIONS,
      `feature version ${JSON.stringify(version)} must be 1-256 letters, digits or . _ + - (shorten the base version or select fewer extractors)`,
      { details: { option: 'featureVersion' } },
    );
  }
  return version;
}
