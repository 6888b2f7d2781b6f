/**
 * The factories of the built-in extensions, tagged by kind so a withVersion()
 * view can keep its parent's similarity index and replace its provenance index
 * (or the other way round).
 */
import { ProvenanceIndex } from '../provenance/index/provenance-index.js';
import { SimilarityIndex } from '../search/similarity-index.js';
import type { ProvenanceIndexOptions, SimilarityOptions } from '../types.js';
import type { CacheExtension, ExtensionContext } from './extension.js';

export type ExtensionKind = 'similarity' | 'provenance';
export type ExtensionFactory = ((ctx: ExtensionContext) => CacheExtension) & { kind?: ExtensionKind };

export function similarityFactory(options: SimilarityOptions): ExtensionFactory {
  return Object.assign((ctx: ExtensionContext) => new SimilarityIndex(ctx, options), { kind: 'similarity' as const });
}

export function provenanceFactory(options: ProvenanceIndexOptions | true): ExtensionFactory {
  return Object.assign((ctx: ExtensionContext) => new ProvenanceIndex(ctx, options), { kind: 'provenance' as const });
}

/**
 * A view's extension factories: the parent's, with the kinds named in `opts`
 * replaced (`false`: dropped).
 */
export function viewExtensions(
  parent: readonly ExtensionFactory[],
  opts: { similarity?: SimilarityOptions | false; provenanceIndex?: ProvenanceIndexOptions | true | false },
): ExtensionFactory[] {
  const out = parent.filter((f) => !((f.kind === 'similarity' && opts.similarity !== undefined) || (f.kind === 'provenance' && opts.provenanceIndex !== undefined)));
  if (opts.similarity) out.push(similarityFactory(opts.similarity));
  if (opts.provenanceIndex) out.push(provenanceFactory(opts.provenanceIndex));
  return out;
}
