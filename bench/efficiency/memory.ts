/**
 * Memory and compression: bytes per image in Redis for the seed payload and a
 * 512-float embedding under each codec setting, against a JSON baseline (the
 * same record as a JSON string, SET with the same TTL), and recall@10 of cosine
 * nearest neighbours on embeddings read back from Redis after quantization.
 */
import { Redis } from 'ioredis';
import { createFeatureCache, type FeatureCacheOptions, type Features } from '../../src/index.js';
import { median } from '../lib/report.js';
import { embeddingPayload, seedPayload } from '../lib/payloads.js';
import { recallAt10 } from './recall.js';
import { mulberry32 } from '../lib/prng.js';

export type CodecSetting = 'none' | 'lz4' | 'float16' | 'int8';

export const CODEC_SETTINGS: ReadonlyArray<readonly [CodecSetting, FeatureCacheOptions]> = [
  ['none', { compression: 'none', quantize: 'none' }],
  ['lz4', { compression: 'lz4', quantize: 'none' }],
  ['float16', { compression: 'lz4', quantize: 'float16' }],
  ['int8', { compression: 'lz4', quantize: 'int8' }],
];

export interface MemoryRow {
  payload: 'seed' | 'embedding512';
  setting: CodecSetting | 'json';
  /** Encoded value length (median over the sample), bytes. */
  value_bytes: number;
  /** MEMORY USAGE of one record key (median over 200 keys), bytes. */
  memory_usage_bytes: number;
  /** INFO used_memory growth per image when `images` were written. */
  used_memory_per_image: number;
  /** used_memory_per_image / the JSON baseline's. */
  ratio_to_json: number;
  images: number;
}

export interface RecallRow {
  setting: CodecSetting;
  recall_at_10: number;
  vectors: number;
  queries: number;
}

const TTL_MS = 2_592_000_000;
const payloads = { seed: seedPayload, embedding512: embeddingPayload } as const;

async function usedMemory(raw: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await raw.info('memory'))?.[1]);
}

/** JSON-safe copy (typed arrays -> arrays), as a client without featcache would store it. */
function jsonRecord(imageId: string, features: Features): string {
  return JSON.stringify({ image_id: imageId, version: '1.0', features, created_at: new Date().toISOString() }, (_k, v: unknown) =>
    ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v,
  );
}

/** Bytes per image for every payload x setting (and the JSON baseline), `images` records each. */
export async function measureMemory(redisUrl: string, images: number, progress: (line: string) => void): Promise<MemoryRow[]> {
  const raw = new Redis(redisUrl);
  const rows: MemoryRow[] = [];
  try {
    for (const [payload, make] of Object.entries(payloads) as Array<[MemoryRow['payload'], () => Features]>) {
      const data = Array.from({ length: images }, (_, i) => ({ imageId: `user_${String(i % 1000).padStart(6, '0')}_img_${String(i).padStart(6, '0')}`, features: make() }));
      const sampleKeys = (prefix: (id: string) => string) => data.filter((_, i) => i % Math.max(1, Math.floor(images / 200)) === 0).map((d) => prefix(d.imageId));
      const measureKeys = async (keys: string[]) => {
        const p = raw.pipeline();
        for (const k of keys) p.memory('USAGE', k, 'SAMPLES', '0');
        for (const k of keys) p.strlen(k);
        const r = ((await p.exec()) ?? []).map(([, v]) => Number(v));
        return { usage: median(r.slice(0, keys.length)), len: median(r.slice(keys.length)) };
      };
      // JSON baseline
      await raw.flushall();
      let before = await usedMemory(raw);
      for (let i = 0; i < images; i += 500) {
        const p = raw.pipeline();
        for (const d of data.slice(i, i + 500)) p.set(`json:${d.imageId}`, jsonRecord(d.imageId, d.features), 'PX', TTL_MS);
        await p.exec();
      }
      const jsonPerImage = Math.round(((await usedMemory(raw)) - before) / images);
      const jsonKeys = await measureKeys(sampleKeys((id) => `json:${id}`));
      rows.push({ payload, setting: 'json', value_bytes: jsonKeys.len, memory_usage_bytes: jsonKeys.usage, used_memory_per_image: jsonPerImage, ratio_to_json: 1, images });
      for (const [setting, opts] of CODEC_SETTINGS) {
        await raw.flushall();
        const cache = await createFeatureCache({ redis: redisUrl, prefix: 'mem', ...opts });
        before = await usedMemory(raw);
        for (let i = 0; i < images; i += 500) await cache.setMany(data.slice(i, i + 500));
        const perImage = Math.round(((await usedMemory(raw)) - before) / images);
        const keys = await measureKeys(sampleKeys((id) => `mem:${cache.featureVersion}:${id}`));
        await cache.close();
        rows.push({ payload, setting, value_bytes: keys.len, memory_usage_bytes: keys.usage, used_memory_per_image: perImage, ratio_to_json: Number((perImage / jsonPerImage).toFixed(3)), images });
        progress(`  [memory] ${payload} ${setting.padEnd(7)}: ${perImage} B/image in Redis (JSON ${jsonPerImage} B), value ${keys.len} B`);
      }
    }
    await raw.flushall();
  } finally {
    raw.disconnect();
  }
  return rows;
}

/** recall@10 of cosine neighbours on embeddings stored under each setting and read back. */
export async function measureRecall(redisUrl: string, vectors: number, queries: number, progress: (line: string) => void): Promise<RecallRow[]> {
  const base = clusteredVectors(vectors, 512, 0x5eed);
  const queryIdx = Array.from({ length: queries }, (_, i) => Math.floor((i * vectors) / queries));
  const rows: RecallRow[] = [];
  for (const [setting, opts] of CODEC_SETTINGS) {
    const cache = await createFeatureCache({ redis: redisUrl, prefix: 'recall', ...opts });
    try {
      const ids = base.map((_, i) => `vec_${i}`);
      for (let i = 0; i < vectors; i += 500) await cache.setMany(ids.slice(i, i + 500).map((imageId, k) => ({ imageId, features: { embedding: base[i + k]! } })));
      const back = await cache.getMany(ids);
      const stored = back.map((r) => Float32Array.from(r!.features.embedding as ArrayLike<number>));
      const recall = recallAt10(base, stored, queryIdx);
      rows.push({ setting, recall_at_10: Number(recall.toFixed(4)), vectors, queries });
      progress(`  [recall] ${setting.padEnd(7)}: recall@10 = ${recall.toFixed(4)} (${vectors} vectors, ${queries} queries)`);
      await cache.invalidateMany(ids);
    } finally {
      await cache.close();
    }
  }
  return rows;
}

/** Unit vectors around 100 random centres (like embeddings of related images), seeded. */
function clusteredVectors(n: number, dim: number, seed: number): Float32Array[] {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const centres = Array.from({ length: 100 }, () => Float32Array.from({ length: dim }, gauss));
  return Array.from({ length: n }, (_, i) => {
    const c = centres[i % centres.length]!;
    const v = Float32Array.from(c, (x) => x + 0.6 * gauss());
    let norm = 0;
    for (const x of v) norm += x * x;
    norm = Math.sqrt(norm);
    for (let k = 0; k < dim; k++) v[k] = v[k]! / norm;
    return v;
  });
}

