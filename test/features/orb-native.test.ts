/**
 * The native ORB backend (native/orb.cc on Debian's OpenCV 4.6) against the WebAssembly
 * build (the orb.2 reference): byte-identical features on images taking every path, the
 * same raw OpenCV output, loaded in pool workers too, errors kept short. CI builds the
 * addon (scripts/setup.sh): nothing here is skipped when it is missing — it fails.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, FeatureCacheError } from '../../src/errors.js';
import { decodeImage } from '../../src/features/decode.js';
import { rgbToGrey, type GreyImage } from '../../src/features/grey.js';
import { resolveExtractOptions } from '../../src/features/options.js';
import { ORB_DETECTOR, orbFrameSize, orbFromGrey, type OrbFeatures } from '../../src/features/orb.js';
import { RAW_KEYPOINT_FIELDS, type OrbBackend, type RawOrb } from '../../src/features/orb-backend.js';
import { ORB_BACKEND_ENV, orbBackendInfo } from '../../src/features/orb-backend-choice.js';
import { nativeOrb } from '../../src/features/orb-native.js';
import { wasmOrbBackend } from '../../src/features/orb-wasm.js';
import { createExtractionPool } from '../../src/features/pool.js';
import { texturedPng } from './fixtures.js';

let native: OrbBackend;
let wasm: OrbBackend;
const images: Array<{ name: string; png: Buffer; grey: GreyImage }> = [];

async function greyOf(png: Buffer): Promise<GreyImage> {
  const d = await decodeImage(png, resolveExtractOptions({ extractors: ['orb'] }));
  return rgbToGrey(d.rgb, d.width, d.height);
}

beforeAll(async () => {
  const loaded = nativeOrb();
  if (!('backend' in loaded)) throw new Error(`native ORB backend ${loaded.reason}: run scripts/setup.sh (or npm run build:native)`);
  native = loaded.backend;
  wasm = await wasmOrbBackend();
  const faint = await sharp(await texturedPng(7, 900, 700)).linear(1 / 12, 118).png().toBuffer();
  const cases: Array<[string, Promise<Buffer>]> = [
    ['textured 900x700 (no resize)', texturedPng(7, 900, 700)],
    ['textured 2048x1536 (integer INTER_AREA ratio)', texturedPng(8, 2048, 1536)],
    ['textured 1300x1000 (general INTER_AREA)', texturedPng(9, 1300, 1000)],
    ['faint 900x700 (CLAHE pass)', Promise.resolve(faint)],
    ['tiny 60x400 (under ORB_MIN_SIDE)', texturedPng(12, 60, 400)],
  ];
  for (const [name, png] of cases) {
    const data = await png;
    images.push({ name, png: data, grey: await greyOf(data) });
  }
});

const bytes = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

function expectSameOrb(a: OrbFeatures, b: OrbFeatures, what: string): void {
  expect([a.width, a.height], what).toEqual([b.width, b.height]);
  expect(bytes(a.keypoints).equals(bytes(b.keypoints)), `${what}: keypoints`).toBe(true);
  expect(bytes(a.descriptors).equals(bytes(b.descriptors)), `${what}: descriptors`).toBe(true);
}

/** Each keypoint's x, y, size, angle, response, octave and descriptor, sorted (the two builds' sorts may order them differently). */
function rows(r: RawOrb): string[] {
  const n = r.keypoints.length / RAW_KEYPOINT_FIELDS;
  return Array.from({ length: n }, (_, i) => `${Array.from(r.keypoints.subarray(i * RAW_KEYPOINT_FIELDS, (i + 1) * RAW_KEYPOINT_FIELDS)).join(',')}:${bytes(r.descriptors.subarray(i * 32, (i + 1) * 32)).toString('hex')}`).sort();
}

describe('native ORB backend', () => {
  it('is the default backend where the addon is built', () => {
    expect(process.env[ORB_BACKEND_ENV] ?? '').toBe('');
    expect(orbBackendInfo()).toEqual({ name: 'native' });
  });

  it('gives the WebAssembly build\'s features byte for byte: textured, both INTER_AREA paths, CLAHE, tiny, mirror, budgets', async () => {
    let compared = 0;
    for (const { name, grey } of images) {
      for (const [maxKeypoints, mirror] of [[430, false], [430, true], [100, false], [1000, false]] as const) {
        const what = `${name} k${maxKeypoints}${mirror ? ' mirror' : ''}`;
        const a = await orbFromGrey(grey, { maxKeypoints, mirror, backend: native });
        const b = await orbFromGrey(grey, { maxKeypoints, mirror, backend: wasm });
        expectSameOrb(a, b, what);
        compared += a.keypoints.length / 2;
      }
    }
    expect(compared).toBeGreaterThan(5000); // the comparison had keypoints to compare
  });

  it('gives OpenCV\'s raw output of the WebAssembly build: frames, CLAHE frames, every keypoint field (angle included) and descriptor', () => {
    for (const { name, grey } of images.filter((i) => !i.name.startsWith('tiny'))) {
      for (const mirror of [false, true]) {
        const frame = orbFrameSize(grey.width, grey.height);
        const [sn, sw] = [native.open(), wasm.open()];
        try {
          const [fn, fw] = [sn.frame(grey, frame.width, frame.height, mirror), sw.frame(grey, frame.width, frame.height, mirror)];
          expect(bytes(sn.pixels(fn)).equals(bytes(sw.pixels(fw))), `${name}: frame`).toBe(true);
          const clahe = { kind: 'clahe', clip: ORB_DETECTOR.claheClip, tiles: ORB_DETECTOR.claheTiles } as const;
          const [en, ew] = [sn.enhance(fn, clahe), sw.enhance(fw, clahe)];
          expect(bytes(sn.pixels(en)).equals(bytes(sw.pixels(ew))), `${name}: CLAHE frame`).toBe(true);
          let keypoints = 0;
          for (const [a, b] of [[fn, fw], [en, ew]] as const) {
            const rn = rows(sn.detect(a, 1290, ORB_DETECTOR.levels));
            const rw = rows(sw.detect(b, 1290, ORB_DETECTOR.levels));
            expect(rn, `${name}${mirror ? ' mirror' : ''}`).toEqual(rw);
            keypoints += rn.length;
          }
          expect(keypoints, name).toBeGreaterThan(0);
        } finally {
          sn.close();
          sw.close();
        }
      }
    }
  });

  it('fails with a short COMPUTE_FAILED error, not a crash, on pixels that do not match the size', async () => {
    const grey = images[0]!.grey;
    const bad: GreyImage = { width: grey.width + 1, height: grey.height, data: grey.data };
    const err = await orbFromGrey(bad, { maxKeypoints: 430, mirror: true, backend: native }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FeatureCacheError);
    expect((err as FeatureCacheError).code).toBe(ErrorCodes.COMPUTE_FAILED);
    expect((err as FeatureCacheError).message).toMatch(/pixel count does not match/);
  });
});

describe('native ORB backend in the extraction pool', () => {
  const saved = process.env[ORB_BACKEND_ENV];
  afterAll(() => {
    if (saved === undefined) delete process.env[ORB_BACKEND_ENV];
    else process.env[ORB_BACKEND_ENV] = saved;
  });

  it('loads in the workers (forced there: extraction fails if it does not) and gives the WebAssembly bytes', async () => {
    process.env[ORB_BACKEND_ENV] = 'native'; // workers copy the environment when they start
    const pool = createExtractionPool({ size: 1 });
    try {
      for (const { name, png, grey } of images.slice(2, 4)) {
        const out = await pool.extract(png, { extractors: ['orb'] });
        expectSameOrb(out.orb!, await orbFromGrey(grey, { maxKeypoints: 430, mirror: false, backend: wasm }), name);
      }
    } finally {
      await pool.close();
    }
  });
});
