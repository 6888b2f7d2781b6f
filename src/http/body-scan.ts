/**
 * Linear pre-scans of request bodies, run on the raw bytes before JSON.parse or
 * the msgpack Decoder builds anything. They bound what decoding may cost:
 * nesting depth (a 16 MB body of one-element arrays is 16M levels deep, which
 * the decoders would build, slowly and with gigabytes of memory) and the number
 * of arrays and maps. Both scans are one pass that allocates nothing per value,
 * so a bomb is refused after reading a few hundred bytes and an ordinary body
 * costs one quick pass. The msgpack scan also refuses strings that are not
 * valid UTF-8 (the decoder would silently replace the bad bytes with U+FFFD).
 */
import { isUtf8 } from 'node:buffer';
import { MAX_DEPTH } from '../codec/format.js';
import { ApiError, HttpErrorCodes } from './errors.js';

/**
 * Levels a body may wrap around the features map: `{items: [{features: ...}]}`
 * puts the features map at depth 4, the codec's depth 1.
 */
const ENVELOPE_DEPTH = 3;

/** Deepest nesting of arrays/maps in a request body: the codec's feature limit plus the envelope. */
export const MAX_BODY_DEPTH = MAX_DEPTH + ENVELOPE_DEPTH;

/**
 * Most arrays and maps in one request body. A full batch of 1000 records with
 * 500 ORB keypoints each (one array per keypoint) needs ~0.5M; 16 MB of `[]`
 * would make 5M (JSON) or 16M (msgpack) objects.
 */
export const MAX_BODY_CONTAINERS = 1_000_000;

function refuse(message: string): never {
  throw new ApiError(400, HttpErrorCodes.MALFORMED_BODY, message);
}

const tooDeep = (): never => refuse(`Request body is nested deeper than ${MAX_BODY_DEPTH} levels (the limit)`);
const tooMany = (): never => refuse(`Request body holds more than ${MAX_BODY_CONTAINERS} arrays and maps (the limit)`);

/**
 * A resumable scan over a body that arrives in chunks into one growing buffer:
 * feed() checks `bytes[0, end)` from where the last call stopped, so a bomb is
 * refused from its first chunk, before the rest is read. `final` marks the
 * last call (the whole body is there). Throws ApiError 400 MALFORMED_BODY.
 */
export interface BodyScanner {
  feed(bytes: Uint8Array, end: number, final: boolean): void;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The JSON scan also notes strings that may spell `__proto__` (see assertNoProtoKey). */
export interface JsonScanner extends BodyScanner {
  readonly maybeProtoKey: boolean;
}

const PROTO = Buffer.from('__proto__');
/** Longest JSON spelling of `__proto__` (every character a \uXXXX escape). */
const PROTO_MAX_RAW = 9 * 6;

/** True when `bytes[from, to)` (a string's raw contents) may decode to `__proto__`. */
function mayBeProto(bytes: Uint8Array, from: number, to: number): boolean {
  const len = to - from;
  if (len === 9) {
    for (let k = 0; k < 9; k++) if (bytes[from + k] !== PROTO[k]) return false;
    return true;
  }
  return len > 9 && len <= PROTO_MAX_RAW && bytes.subarray(from, to).includes(BACKSLASH);
}

/** 1 for bytes the JSON scan passes over: all but `"`, `[`, `{`, `]`, `}`. */
const JSON_PLAIN = new Uint8Array(256).fill(1);
for (const c of '"[{]}') JSON_PLAIN[c.charCodeAt(0)] = 0;

/** Index of the quote closing a string whose contents start at `from`; -1 when not in `bytes[0, end)` yet. */
function closingQuote(bytes: Uint8Array, from: number, end: number): number {
  let j = from - 1;
  for (;;) {
    j = bytes.indexOf(QUOTE, j + 1);
    if (j < 0 || j >= end) return -1;
    let k = j - 1;
    while (bytes[k] === BACKSLASH) k--;
    if ((j - 1 - k) % 2 === 0) return j; // not escaped: an even run of backslashes before it
  }
}

/**
 * Checks the nesting of a JSON text (brackets outside strings). Malformed JSON
 * passes through: JSON.parse reports it.
 */
export function jsonScanner(): JsonScanner {
  // `i` is the next byte to look at; inside a string (split by a chunk end) `i` is where to look for its end
  const state = { i: 0, inString: false, stringStart: 0, depth: 0, containers: 0, maybeProtoKey: false };
  return {
    get maybeProtoKey() {
      return state.maybeProtoKey;
    },
    feed(bytes, end) {
      // locals in the loop (closure variables are slower), written back at the end
      let { i, inString, stringStart, depth, containers, maybeProtoKey } = state;
      if (inString) {
        const j = closingQuote(bytes, i, end);
        if (j < 0) {
          state.i = end;
          return;
        }
        inString = false;
        if (!maybeProtoKey) maybeProtoKey = mayBeProto(bytes, stringStart, j);
        i = j + 1;
      }
      for (; i < end; i++) {
        const b = bytes[i]!;
        if (JSON_PLAIN[b] === 1) continue; // digits, commas, spaces, letters: most of a body
        if (b === QUOTE) {
          stringStart = i + 1;
          const j = closingQuote(bytes, stringStart, end);
          if (j < 0) {
            inString = true; // ends in a later chunk
            i = end;
            break;
          }
          if (!maybeProtoKey) maybeProtoKey = mayBeProto(bytes, stringStart, j);
          i = j;
        } else if (b === 0x5b || b === 0x7b) {
          if (++depth > MAX_BODY_DEPTH) tooDeep();
          if (++containers > MAX_BODY_CONTAINERS) tooMany();
        } else depth--;
      }
      Object.assign(state, { i, inString, stringStart, depth, containers, maybeProtoKey });
    },
  };
}

/** True when `bytes[from, to)` is valid UTF-8 (short ASCII strings checked inline). */
function utf8At(bytes: Uint8Array, from: number, to: number): boolean {
  if (to - from <= 32) {
    let ascii = true;
    for (let i = from; i < to; i++) if (bytes[i]! >= 0x80) ascii = false;
    if (ascii) return true;
  }
  return isUtf8(bytes.subarray(from, to));
}

/** What a msgpack type byte 0xc0..0xdf starts: its header bytes after the type byte and what follows. */
const enum Kind {
  FIXED, // a scalar: `extra` bytes, nothing more
  BIN, // a length (extra bytes), then that many bytes
  EXT, // a length (extra bytes), a type byte, then that many bytes
  STR, // like BIN, checked as UTF-8
  ARRAY, // a count (extra bytes) of values
  MAP, // a count (extra bytes) of key/value pairs
  UNUSED,
}
const KIND = new Uint8Array(32).fill(Kind.UNUSED);
const EXTRA = new Uint8Array(32);
for (const [byte, kind, extra] of [
  [0xc0, Kind.FIXED, 0], [0xc2, Kind.FIXED, 0], [0xc3, Kind.FIXED, 0],
  [0xc4, Kind.BIN, 1], [0xc5, Kind.BIN, 2], [0xc6, Kind.BIN, 4],
  [0xc7, Kind.EXT, 1], [0xc8, Kind.EXT, 2], [0xc9, Kind.EXT, 4],
  [0xca, Kind.FIXED, 4], [0xcb, Kind.FIXED, 8],
  [0xcc, Kind.FIXED, 1], [0xcd, Kind.FIXED, 2], [0xce, Kind.FIXED, 4], [0xcf, Kind.FIXED, 8],
  [0xd0, Kind.FIXED, 1], [0xd1, Kind.FIXED, 2], [0xd2, Kind.FIXED, 4], [0xd3, Kind.FIXED, 8],
  [0xd4, Kind.FIXED, 2], [0xd5, Kind.FIXED, 3], [0xd6, Kind.FIXED, 5], [0xd7, Kind.FIXED, 9], [0xd8, Kind.FIXED, 17], // fixext: type + data
  [0xd9, Kind.STR, 1], [0xda, Kind.STR, 2], [0xdb, Kind.STR, 4],
  [0xdc, Kind.ARRAY, 2], [0xdd, Kind.ARRAY, 4], [0xde, Kind.MAP, 2], [0xdf, Kind.MAP, 4],
] as const) {
  KIND[byte - 0xc0] = kind;
  EXTRA[byte - 0xc0] = extra;
}

/** A big-endian unsigned integer of 1, 2 or 4 bytes. */
function readLength(bytes: Uint8Array, at: number, size: number): number {
  if (size === 1) return bytes[at]!;
  if (size === 2) return (bytes[at]! << 8) | bytes[at + 1]!;
  return bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
}

/**
 * Walks a msgpack body's headers (skipping payloads by their lengths) and
 * checks depth, container count, lengths against the body's size and the UTF-8
 * of strings. A value is taken only once all its header and payload bytes are
 * in, so a walk that runs out of bytes just stops there until the next chunk.
 * A body that passes decodes without surprises in size.
 * @param total the declared body length (Content-Length), when known
 */
export function msgpackScanner(total?: number): BodyScanner {
  // values still expected at each open level; level 0 is the body itself (one value)
  const left = new Float64Array(MAX_BODY_DEPTH + 1);
  left[0] = 1;
  const state = { pos: 0, depth: 0, containers: 0 };
  const truncated = (): never => refuse('Request body is not valid msgpack: truncated');

  return {
    feed(bytes, n, final) {
      let { pos, depth, containers } = state;
      const limit = final ? n : (total ?? Infinity); // the most bytes the body can have
      for (;;) {
        while (left[depth] === 0) {
          if (depth === 0) {
            if (pos !== n) refuse(`Request body is not valid msgpack: ${n - pos} extra bytes after the value`);
            state.pos = pos;
            return;
          }
          depth--;
        }
        if (pos >= n) break;
        const b = bytes[pos]!;
        let count = -1; // values of a container opened here
        let next = pos + 1;
        if (b <= 0x7f || b >= 0xe0) {
          // fixint
        } else if (b <= 0x8f) count = (b & 0x0f) * 2;
        else if (b <= 0x9f) count = b & 0x0f;
        else if (b <= 0xbf) {
          next += b & 0x1f;
          if (next > n) break;
          if (!utf8At(bytes, pos + 1, next)) refuse('Request body is not valid msgpack: a string is not valid UTF-8');
        } else {
          const kind = KIND[b - 0xc0]! as Kind;
          const extra = EXTRA[b - 0xc0]!;
          if (kind === Kind.UNUSED) refuse(`Request body is not valid msgpack: unused type byte 0x${b.toString(16)}`);
          if (next + extra > n) break;
          if (kind === Kind.FIXED) next += extra;
          else {
            const len = readLength(bytes, next, extra);
            next += extra;
            if (kind === Kind.ARRAY) count = len;
            else if (kind === Kind.MAP) count = len * 2;
            else {
              next += len + (kind === Kind.EXT ? 1 : 0);
              if (next > limit) truncated();
              if (next > n) break;
              if (kind === Kind.STR && !utf8At(bytes, next - len, next)) refuse('Request body is not valid msgpack: a string is not valid UTF-8');
            }
          }
        }
        // the value is complete (or its container opened): take it
        left[depth]!--;
        pos = next;
        if (count >= 0) {
          if (++containers > MAX_BODY_CONTAINERS) tooMany();
          if (depth === MAX_BODY_DEPTH) tooDeep();
          // every value takes at least one byte
          if (count > limit - pos) truncated();
          left[++depth] = count;
        }
      }
      // ran out of bytes inside a value
      if (final) truncated();
      Object.assign(state, { pos, depth, containers });
    },
  };
}

/**
 * Refuses a parsed JSON body holding an own `__proto__` key at any depth, as the
 * msgpack decoder does (a copy would drop it or replace a prototype). Walked
 * only when the scan saw a string that may spell it.
 */
export function assertNoProtoKey(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const e of value) assertNoProtoKey(e);
    return;
  }
  if (Object.hasOwn(value, '__proto__')) refuse('Request body is not valid: the key "__proto__" is not allowed');
  for (const k of Object.keys(value)) assertNoProtoKey((value as Record<string, unknown>)[k]);
}
