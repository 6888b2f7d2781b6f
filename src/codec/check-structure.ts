/**
 * Allocation-free structural check of a msgpack body before it is decoded:
 * top-level map, nesting depth, every declared length within the remaining
 * bytes (so no array/map/str/ext "bomb" reaches the decoder), no trailing bytes,
 * only the msgpack types featcache writes (no bin, no 0xc1), and map keys that
 * are strings or positive fixints (field ids).
 * Throws RangeError with a short reason.
 */
import { MAX_DEPTH } from './format.js';

/** Elements still expected at each open nesting level (index 0 = the root). */
const remaining = new Float64Array(MAX_DEPTH + 1);
/** 1 where the open level is a map (its even-numbered elements are keys). */
const isMap = new Uint8Array(MAX_DEPTH + 1);

function fail(reason: string, pos: number): never {
  throw new RangeError(`${reason} at body byte ${pos}`);
}

export function checkStructure(b: Uint8Array): void {
  const end = b.length;
  const first = b[0];
  if (first === undefined || !((first >= 0x80 && first <= 0x8f) || first === 0xde || first === 0xdf)) {
    fail('body is not a map', 0);
  }
  let pos = 0;
  let depth = 0;
  remaining[0] = 1;
  isMap[0] = 0;
  for (;;) {
    while (remaining[depth] === 0) {
      if (depth === 0) {
        if (pos !== end) fail(`${end - pos} trailing bytes`, pos);
        return;
      }
      depth--;
    }
    const isKey = isMap[depth] === 1 && remaining[depth]! % 2 === 0;
    remaining[depth]!--;
    if (pos >= end) fail('truncated', pos);
    const h = b[pos++]!;
    if (isKey && !(h < 0x80 || (h >= 0xa0 && h < 0xc0) || h === 0xd9 || h === 0xda || h === 0xdb)) {
      fail('map key is neither a string nor a field id', pos - 1);
    }
    let skip = 0; // payload bytes to skip
    let children = -1; // elements of a new container
    if (h < 0x80 || h >= 0xe0 || h === 0xc0 || h === 0xc2 || h === 0xc3) {
      // fixint, nil, bool
    } else if (h < 0x90) children = (h & 0x0f) * 2;
    else if (h < 0xa0) children = h & 0x0f;
    else if (h < 0xc0) skip = h & 0x1f;
    else {
      let lenBytes = 0;
      switch (h) {
        case 0xca: skip = 4; break;
        case 0xcb: skip = 8; break;
        case 0xcc: case 0xd0: skip = 1; break;
        case 0xcd: case 0xd1: skip = 2; break;
        case 0xce: case 0xd2: skip = 4; break;
        case 0xcf: case 0xd3: skip = 8; break;
        case 0xd4: skip = 2; break; // fixext: type byte + 1/2/4/8/16
        case 0xd5: skip = 3; break;
        case 0xd6: skip = 5; break;
        case 0xd7: skip = 9; break;
        case 0xd8: skip = 17; break;
        case 0xd9: lenBytes = 1; break; // str
        case 0xda: lenBytes = 2; break;
        case 0xdb: lenBytes = 4; break;
        case 0xc7: lenBytes = 1; skip = 1; break; // ext: + type byte
        case 0xc8: lenBytes = 2; skip = 1; break;
        case 0xc9: lenBytes = 4; skip = 1; break;
        case 0xdc: lenBytes = 2; children = 0; break; // array
        case 0xdd: lenBytes = 4; children = 0; break;
        case 0xde: lenBytes = 2; children = 0; break; // map
        case 0xdf: lenBytes = 4; children = 0; break;
        default: fail(`unexpected msgpack type 0x${h.toString(16)}`, pos - 1);
      }
      if (lenBytes > 0) {
        if (pos + lenBytes > end) fail('truncated length', pos);
        let len = 0;
        for (let i = 0; i < lenBytes; i++) len = len * 256 + b[pos + i]!;
        pos += lenBytes;
        if (children === 0) children = h === 0xde || h === 0xdf ? len * 2 : len;
        else skip += len;
      }
    }
    if (skip > 0) {
      if (skip > end - pos) fail('declared length beyond the end', pos);
      pos += skip;
    } else if (children > 0) {
      if (children > end - pos) fail(`declared ${children} elements beyond the end`, pos);
      if (depth + 1 > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`, pos);
      remaining[++depth] = children;
      isMap[depth] = h < 0x90 || h === 0xde || h === 0xdf ? 1 : 0;
    }
  }
}
