/**
 * A dictionary shard: one Redis string holding ~64 images of the index as
 *
 *   [n: u16 BE][hash_1 .. hash_n: 8 bytes each]["\0" id_1 "\0" id_2 "\0" ... id_n "\0"]
 *
 * i.e. the full 64-bit hash of each image (needed to verify candidates and to
 * find an image's table entries when it is overwritten or removed) and its ID,
 * 9 bytes + the ID per image. Image IDs never contain a NUL (the cache rejects
 * control characters), so "\0" id "\0" finds an ID exactly. One string per
 * shard (rather than a Redis hash) saves the listpack's per-element headers
 * and is read with one GET, one Buffer to decode, per shard. The Lua side of
 * the format lives in scripts.ts (DICT_PUT, DICT_DELETE).
 */

/** Most images one shard can hold (the u16 count). */
export const MAX_SHARD_IMAGES = 65_535;

/** Images in a shard blob (0 for null or malformed). */
export function shardSize(blob: Buffer | null | undefined): number {
  if (!blob || blob.length < 3) return 0;
  const n = blob.readUInt16BE(0);
  return blob.length >= 3 + 9 * n ? n : 0;
}

/** High 32 bits of image k's hash. */
export function shardHi(blob: Buffer, k: number): number {
  return blob.readUInt32BE(2 + 8 * k);
}

/** Low 32 bits of image k's hash. */
export function shardLo(blob: Buffer, k: number): number {
  return blob.readUInt32BE(6 + 8 * k);
}

/** Image k's hash as 8 bytes (a copy, usable as the expected value of a conditional delete). */
export function shardHashBytes(blob: Buffer, k: number): Buffer {
  return Buffer.from(blob.subarray(2 + 8 * k, 10 + 8 * k));
}

/** The IDs of a shard, in slot order. */
export function shardIds(blob: Buffer): string[] {
  const n = shardSize(blob);
  const out: string[] = [];
  let pos = 3 + 8 * n; // past the count, the hashes and the leading NUL
  for (let k = 0; k < n; k++) {
    const end = blob.indexOf(0, pos);
    if (end < 0) break;
    out.push(blob.toString('utf8', pos, end));
    pos = end + 1;
  }
  return out;
}

/** Every (imageId, hash) of a shard. */
export function shardEntries(blob: Buffer | null | undefined): Array<{ imageId: string; hash: bigint }> {
  if (!blob || shardSize(blob) === 0) return [];
  return shardIds(blob).map((imageId, k) => ({ imageId, hash: blob.readBigUInt64BE(2 + 8 * k) }));
}
