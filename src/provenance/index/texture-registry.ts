/**
 * The texture-poor registry (docs/PROVENANCE.md, "Provenance II: the
 * texture-poor tier"): the records whose ORB descriptors cannot find them —
 * fewer than THUMB_FULL_BELOW_KEYPOINTS keypoints (or no `orb`) and a full
 * `thumb` — each with its prefilter signature (texture-signature.ts), kept in
 * step with the records by the provenance index's own hooks
 * (provenance-index.ts: write, overwrite, removal, expiry and eviction through
 * afterRemove, cleanup; version views through the index's per-version keys).
 *
 *   <prefix>:@x:<version>:prov:t:{prov.t<g>}   hash: image ID -> signature (36 B); TEXTURE_SHARDS shards by ID
 *
 * Each shard is its own hash tag, so a Cluster spreads them; a query reads them
 * all (HGETALL, one pipeline per node): the tier is linear in the registry's size.
 */
import type { ChainableCommander } from 'ioredis';
import type { ExtensionContext } from '../../cache/extension.js';
import { THUMB_FULL_BELOW_KEYPOINTS, isFullThumb } from '../../features/thumb.js';
import { runGrouped, type KeyedCommand } from '../../search/grouped.js';
import { fnv1a32 } from '../../search/layout.js';
import type { Features } from '../../types.js';
import { readOrb } from '../orb-input.js';
import { MIN_TEXTURE_KEYPOINTS } from '../thresholds.js';
import { readThumb } from '../thumb-input.js';
import { decodeSignature, encodeSignature, textureSignature, type TextureSignature } from './texture-signature.js';

/** Shards of the registry (each its own hash tag). */
export const TEXTURE_SHARDS = 16;
/** Records removed or re-checked per round of cleanup. */
const CLEANUP_CHUNK = 500;

export interface RegisteredImage {
  imageId: string;
  signature: TextureSignature;
}

/** The signature of a record that belongs in the registry, or null (textured, no full thumb, malformed). */
export function registrySignature(features: Features): TextureSignature | null {
  try {
    const thumb = readThumb(features['thumb']);
    if (!thumb || !isFullThumb(thumb)) return null;
    const orb = readOrb(features['orb']);
    const keypoints = orb ? orb.keypoints.length / 2 : 0;
    if (keypoints >= THUMB_FULL_BELOW_KEYPOINTS) return null;
    return textureSignature(thumb, keypoints, keypoints < MIN_TEXTURE_KEYPOINTS);
  } catch {
    return null; // a malformed record: verification reports it, the registry leaves it out
  }
}

export class TextureRegistry {
  private readonly keys: string[];

  constructor(
    private readonly ctx: Pick<ExtensionContext, 'client' | 'router' | 'exists' | 'peekMany'>,
    base: string,
  ) {
    this.keys = Array.from({ length: TEXTURE_SHARDS }, (_, g) => `${base}:t:{prov.t${g}}`);
  }

  keyOf(imageId: string): string {
    return this.keys[fnv1a32(imageId) % TEXTURE_SHARDS]!;
  }

  allKeys(): readonly string[] {
    return this.keys;
  }

  /** Registers the texture-poor records and unregisters the others (the last of each ID wins). */
  async write(items: ReadonlyArray<{ imageId: string; features: Features }>): Promise<void> {
    const last = new Map<string, TextureSignature | null>();
    for (const it of items) last.set(it.imageId, registrySignature(it.features));
    const put = new Map<string, Array<string | Buffer>>();
    const drop = new Map<string, string[]>();
    for (const [imageId, sig] of last) {
      const key = this.keyOf(imageId);
      if (sig) (put.get(key) ?? put.set(key, []).get(key)!).push(imageId, encodeSignature(sig));
      else (drop.get(key) ?? drop.set(key, []).get(key)!).push(imageId);
    }
    const cmds: KeyedCommand[] = [
      ...[...put].map(([key, args]) => ({ key, add: (p: ChainableCommander) => void p.hset(key, ...args) })),
      ...[...drop].map(([key, ids]) => ({ key, add: (p: ChainableCommander) => void p.hdel(key, ...ids) })),
    ];
    await runGrouped(this.ctx, cmds, 'texture-poor registry write');
  }

  /** Unregisters these images; returns how many entries went. */
  async remove(imageIds: readonly string[]): Promise<number> {
    const byKey = new Map<string, string[]>();
    for (const id of imageIds) {
      const key = this.keyOf(id);
      (byKey.get(key) ?? byKey.set(key, []).get(key)!).push(id);
    }
    const replies = await runGrouped(
      this.ctx,
      [...byKey].map(([key, ids]) => ({ key, add: (p: ChainableCommander) => void p.hdel(key, ...ids) })),
      'texture-poor registry removal',
    );
    return replies.reduce<number>((a, n) => a + Number(n), 0);
  }

  /** Every registered image with its signature (entries of another format skipped). */
  async readAll(): Promise<RegisteredImage[]> {
    const replies = await runGrouped(
      this.ctx,
      this.keys.map((key) => ({ key, add: (p: ChainableCommander) => void p.hgetallBuffer(key) })),
      'texture-poor registry read',
    );
    const out: RegisteredImage[] = [];
    for (const reply of replies) {
      for (const [field, value] of Object.entries(reply as Record<string, Buffer>)) {
        const signature = decodeSignature(value);
        if (signature) out.push({ imageId: field, signature });
      }
    }
    return out;
  }

  /**
   * Repairs what a missed hook left: entries whose record is gone or no longer
   * texture-poor are removed, the others rewritten from the record. Returns how
   * many entries were removed. (Records missing from the registry are added by
   * the index's repair, which reads every record without descriptors.)
   */
  async cleanup(): Promise<number> {
    const ids = (await this.readAll()).map((r) => r.imageId);
    let removed = 0;
    for (let i = 0; i < ids.length; i += CLEANUP_CHUNK) {
      const part = ids.slice(i, i + CLEANUP_CHUNK);
      const records = await this.ctx.peekMany(part);
      const gone = part.filter((id, k) => {
        const r = records[k];
        return !r || registrySignature(r.features) === null;
      });
      if (gone.length > 0) removed += await this.remove(gone);
      await this.write(records.flatMap((r) => (r && registrySignature(r.features) ? [r] : [])));
    }
    return removed;
  }
}
