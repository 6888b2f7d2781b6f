import { describe, expect, it } from 'vitest';
import { createCodec, FLAG_LZ4, readHeader } from '../../src/codec/index.js';

const random = () => ({ embedding: Float32Array.from({ length: 512 }, () => Math.random() * 2 - 1) });
const compressible = () => ({ text: 'the same phrase again and again; '.repeat(40) });
const lz4 = (bytes: Buffer) => (readHeader(bytes).flags & FLAG_LZ4) !== 0;

describe('adaptive lz4', () => {
  it('compresses compressible bodies every time while they keep compressing', () => {
    const codec = createCodec({ compression: 'lz4' });
    for (let i = 0; i < 200; i++) expect(lz4(codec.encode(compressible(), Date.now()))).toBe(true);
  });

  it('stops trying after a streak of incompressible bodies, then probes again', () => {
    const codec = createCodec({ compression: 'lz4' });
    for (let i = 0; i < 8; i++) expect(lz4(codec.encode(random(), Date.now()))).toBe(false);
    // inside the skip window even a compressible body is stored raw...
    const skipped = codec.encode(compressible(), Date.now());
    expect(lz4(skipped)).toBe(false);
    expect(codec.decode(skipped).features).toEqual(compressible());
    for (let i = 0; i < 63; i++) codec.encode(random(), Date.now());
    // ...and after it, lz4 is tried again
    expect(lz4(codec.encode(compressible(), Date.now()))).toBe(true);
  });
});
