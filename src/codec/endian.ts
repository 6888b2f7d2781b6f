/** Byte order helpers: featcache stores typed-array elements little-endian. */

/** True on little-endian hosts (every supported Node platform but s390x). */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses every `width`-byte group of `b[start, start + size)` in place. */
export function swapBytes(b: Uint8Array, start: number, size: number, width: number): void {
  if (width === 1) return;
  for (let p = start; p < start + size; p += width) b.subarray(p, p + width).reverse();
}
