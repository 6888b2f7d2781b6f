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

/**
 * Checks the nesting of a JSON text (brackets outside strings). Malformed JSON
 * passes through: JSON.parse reports it.
 */
export function jsonScanner(): JsonScanner {
  let i = 0; // next byte to look at
  let inString = false; // i is inside a string (its opening quote is before i)
  let stringStart = 0; // index after the opening quote of the current string
  let depth = 0;
  let containers = 0;
  let maybeProtoKey = false;
  return {
    get maybeProtoKey() {
      return maybeProtoKey;
    },
    feed(bytes, end) {
      for (; i < end; i++) {
        if (inString) {
          const j = bytes.indexOf(QUOTE, i);
          if (j < 0 || j >= end) {
            i = end;
            return; // the closing quote is in a later chunk
          }
          let k = j - 1;
          while (bytes[k] === BACKSLASH) k--;
          i = j;
          // escaped quote (odd run of backslashes): still inside the string
          inString = (j - 1 - k) % 2 === 1;
          if (!inString && !maybeProtoKey) maybeProtoKey = mayBeProto(bytes, stringStart, j);
          continue;
        }
        const b = bytes[i]!;
        if (b === QUOTE) {
          inString = true;
          stringStart = i + 1;
        }
        else if (b === 0x5b || b === 0x7b) {
          if (++depth > MAX_BODY_DEPTH) tooDeep();
          if (++containers > MAX_BODY_CONTAINERS) tooMany();
        } else if (b === 0x5d || b === 0x7d) depth--;
      }
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

/** Thrown inside the msgpack walk when a value continues past the bytes read so far. */
const MORE = Symbol('more bytes needed');

/**
 * Walks a msgpack body's headers (skipping payloads by their lengths) and
 * checks depth, container count, lengths against the body's size and the UTF-8
 * of strings. A body that passes decodes without surprises in size.
 * @param total the declared body length (Content-Length), when known
 */
export function msgpackScanner(total?: number): BodyScanner {
  // values still expected at each open level; level 0 is the body itself (one value)
  const left = new Array<number>(MAX_BODY_DEPTH + 1).fill(0);
  left[0] = 1;
  let depth = 0;
  let containers = 0;
  let pos = 0;
  const truncated = (): never => refuse('Request body is not valid msgpack: truncated');

  function walk(bytes: Uint8Array, n: number, final: boolean): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const need = (k: number): void => {
      if (pos + k > n) {
        if (final) truncated();
        throw MORE;
      }
    };
    const open = (count: number, perEntry: number): void => {
      if (++containers > MAX_BODY_CONTAINERS) tooMany();
      if (depth === MAX_BODY_DEPTH) tooDeep();
      const values = count * perEntry;
      // every value takes at least one byte
      if (values > (final ? n : (total ?? Infinity)) - pos) truncated();
      left[++depth] = values;
    };
    const skip = (len: number): void => {
      need(len);
      pos += len;
    };
    const str = (len: number): void => {
      need(len);
      if (len > 0 && !utf8At(bytes, pos, pos + len)) refuse('Request body is not valid msgpack: a string is not valid UTF-8');
      pos += len;
    };
    const u16 = (): number => (need(2), (pos += 2), view.getUint16(pos - 2));
    const u32 = (): number => (need(4), (pos += 4), view.getUint32(pos - 4));

    for (;;) {
      while (left[depth] === 0) {
        if (depth === 0) {
          if (pos !== n) refuse(`Request body is not valid msgpack: ${n - pos} extra bytes after the value`);
          return;
        }
        depth--;
      }
      const start = pos;
      const startContainers = containers;
      try {
        need(1);
        const b = bytes[pos++]!;
        left[depth]!--;
        if (b <= 0x7f || b >= 0xe0) continue; // fixint
        if (b <= 0x8f) open(b & 0x0f, 2);
        else if (b <= 0x9f) open(b & 0x0f, 1);
        else if (b <= 0xbf) str(b & 0x1f);
        else {
          switch (b) {
            case 0xc0: case 0xc2: case 0xc3: break; // nil, false, true
            case 0xcc: case 0xd0: skip(1); break;
            case 0xcd: case 0xd1: skip(2); break;
            case 0xca: case 0xce: case 0xd2: skip(4); break;
            case 0xcb: case 0xcf: case 0xd3: skip(8); break;
            case 0xd4: skip(2); break; // fixext 1..16: type + data
            case 0xd5: skip(3); break;
            case 0xd6: skip(5); break;
            case 0xd7: skip(9); break;
            case 0xd8: skip(17); break;
            case 0xc4: need(1); skip(bytes[pos++]!); break; // bin
            case 0xc5: skip(u16()); break;
            case 0xc6: skip(u32()); break;
            case 0xc7: need(1); skip(bytes[pos++]! + 1); break; // ext: length, type, data
            case 0xc8: skip(u16() + 1); break;
            case 0xc9: skip(u32() + 1); break;
            case 0xd9: need(1); str(bytes[pos++]!); break;
            case 0xda: str(u16()); break;
            case 0xdb: str(u32()); break;
            case 0xdc: open(u16(), 1); break;
            case 0xdd: open(u32(), 1); break;
            case 0xde: open(u16(), 2); break;
            case 0xdf: open(u32(), 2); break;
            default: refuse(`Request body is not valid msgpack: unused type byte 0x${b.toString(16)}`);
          }
        }
      } catch (err) {
        if (err !== MORE) throw err;
        // resume at this value once more bytes are in
        if (pos > start) left[depth]!++;
        pos = start;
        containers = startContainers;
        return;
      }
    }
  }

  return {
    feed(bytes, end, final) {
      walk(bytes, end, final);
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
