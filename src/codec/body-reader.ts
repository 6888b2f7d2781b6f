/**
 * Decodes a msgpack body with @msgpack/msgpack's Decoder, after the structural
 * check. Decoders are reused, one per power-of-two body-size class, each with
 * its max{Str,Bin,Array,Map,Ext}Length limits set to that class: a declared
 * length can never exceed twice the bytes actually present.
 */
import { Decoder, DecodeError } from '@msgpack/msgpack';
import { checkStructure } from './check-structure.js';
import { FeatureExtensions } from './extensions.js';
import { FIELD_NAMES, FIELD_TABLE_LENGTH } from './field-names.js';
import { FORMAT_VERSION } from './format.js';
import type { Features } from '../types.js';

/** Smallest size class: 2^6 bytes. */
const MIN_CLASS = 6;

export class BodyReader {
  private readonly extensions = new FeatureExtensions();
  private readonly decoders: Array<Decoder | undefined> = [];
  private readonly mapKeyConverter: (key: unknown) => string;

  constructor(formatVersion: number = FORMAT_VERSION) {
    const tableLength = FIELD_TABLE_LENGTH[formatVersion] ?? 0;
    this.mapKeyConverter = (key: unknown): string => {
      if (typeof key === 'string') return key;
      if (typeof key === 'number' && Number.isInteger(key) && key >= 0 && key < tableLength) return FIELD_NAMES[key]!;
      throw new DecodeError(`map key ${String(key)} is neither a string nor a known field id`);
    };
  }

  /**
   * Decodes `body` (a whole msgpack map, nothing after it).
   * @throws RangeError / DecodeError on anything malformed.
   */
  read(body: Uint8Array, allowQuantized: boolean): Features {
    checkStructure(body);
    this.extensions.allowQuantized = allowQuantized;
    try {
      return this.decoderFor(body.length).decode(body) as Features;
    } finally {
      this.extensions.release();
    }
  }

  private decoderFor(length: number): Decoder {
    const sizeClass = length <= 1 << MIN_CLASS ? MIN_CLASS : 32 - Math.clz32(length - 1);
    let decoder = this.decoders[sizeClass];
    if (decoder === undefined) {
      const limit = 2 ** sizeClass;
      decoder = new Decoder({
        extensionCodec: this.extensions,
        useBigInt64: true,
        maxStrLength: limit,
        maxBinLength: limit,
        maxArrayLength: limit,
        maxMapLength: limit,
        maxExtLength: limit,
        mapKeyConverter: this.mapKeyConverter,
      });
      this.decoders[sizeClass] = decoder;
    }
    return decoder;
  }
}
