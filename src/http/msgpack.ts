/**
 * The HTTP wire format for `application/msgpack` bodies.
 *
 * Typed arrays travel as msgpack ext values whose payload is the array's raw
 * little-endian bytes, so a Float32Array embedding arrives as a Float32Array,
 * bit-exact. Uint8Array (and Buffer) stays a plain msgpack `bin`, which every
 * msgpack library already reads as bytes. 64-bit integers are msgpack int64 /
 * uint64 and decode as bigint. The codes are part of the public API (docs/HTTP.md).
 */
import { Decoder, Encoder, ExtData, type ExtensionCodecType } from '@msgpack/msgpack';
import type { TypedArray } from '../types.js';

type TypedArrayCtor = {
  new (buffer: ArrayBuffer): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
};

/** msgpack ext type code -> typed array constructor. Stable: never renumber. */
export const TYPED_ARRAY_EXT_CODES: ReadonlyArray<readonly [number, TypedArrayCtor]> = [
  [0x10, Int8Array],
  [0x11, Uint8ClampedArray],
  [0x12, Int16Array],
  [0x13, Uint16Array],
  [0x14, Int32Array],
  [0x15, Uint32Array],
  [0x16, Float32Array],
  [0x17, Float64Array],
  [0x18, BigInt64Array],
  [0x19, BigUint64Array],
];

const codeByCtor = new Map<unknown, number>(TYPED_ARRAY_EXT_CODES.map(([code, ctor]) => [ctor, code]));
const ctorByCode = new Map<number, TypedArrayCtor>(TYPED_ARRAY_EXT_CODES.map(([code, ctor]) => [code, ctor]));

/** Raised when a msgpack body holds an ext value we do not accept. */
export class MsgpackExtError extends Error {
  override name = 'MsgpackExtError';
}

/**
 * One check per object on the encode path (ArrayBuffer.isView), instead of the
 * generic ExtensionCodec's loop over every registered type.
 */
export const typedArrayCodec: ExtensionCodecType<undefined> = {
  tryToEncode(object: unknown): ExtData | null {
    if (!ArrayBuffer.isView(object)) return null;
    const code = codeByCtor.get(object.constructor);
    if (code === undefined) return null; // Uint8Array, Buffer, DataView: plain bin
    return new ExtData(code, new Uint8Array(object.buffer, object.byteOffset, object.byteLength));
  },
  decode(data: Uint8Array, extType: number): unknown {
    const ctor = ctorByCode.get(extType);
    if (ctor === undefined) throw new MsgpackExtError(`unsupported msgpack ext type ${extType}`);
    if (data.byteLength % ctor.BYTES_PER_ELEMENT !== 0) {
      throw new MsgpackExtError(`${ctor.name} ext payload of ${data.byteLength} bytes is not a multiple of ${ctor.BYTES_PER_ELEMENT}`);
    }
    // copy: the payload is a view into the request buffer at an unaligned offset
    // (Uint8Array's slice: a Buffer's slice() would be a view of its whole pool)
    return new ctor(Uint8Array.prototype.slice.call(data).buffer);
  },
};

const encoder = new Encoder({ extensionCodec: typedArrayCodec, useBigInt64: true });
const decoder = new Decoder({ extensionCodec: typedArrayCodec, useBigInt64: true });

/** Encodes a response body. Reuses one Encoder (encode is synchronous, so never re-entered). */
export function encodeMsgpack(value: unknown): Uint8Array {
  return encoder.encode(value);
}

/** Decodes a request body; throws on malformed input or unknown ext types. */
export function decodeMsgpack(bytes: Uint8Array): unknown {
  return decoder.decode(bytes);
}

