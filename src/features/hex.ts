/** Bit-array <-> hex string, in imagehash's layout. */

/**
 * Packs bits (row-major, first bit most significant) into lowercase hex, like
 * imagehash's `_binary_array_to_hex`: `ceil(bits / 4)` digits, zero-padded on the left.
 */
export function bitsToHex(bits: ArrayLike<boolean | number>): string {
  const digits = Math.ceil(bits.length / 4);
  const pad = digits * 4 - bits.length; // leading zero bits, as int(bit_string, 2) implies
  let out = '';
  let nibble = 0;
  for (let i = 0; i < digits * 4; i++) {
    const bit = i < pad ? 0 : bits[i - pad] ? 1 : 0;
    nibble = (nibble << 1) | bit;
    if ((i & 3) === 3) {
      out += nibble.toString(16);
      nibble = 0;
    }
  }
  return out;
}
