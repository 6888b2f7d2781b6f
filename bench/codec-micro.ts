/**
 * Codec micro-benchmark: encode/decode ops/s on one core for the seed payload
 * and a 512-float embedding under each quantization setting.
 *
 *   npx tsx bench/codec-micro.ts [--seconds 1]
 */
import { createCodec, type RecordCodec } from '../src/codec/index.js';
import type { Features, Quantize } from '../src/types.js';

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 1;
const NOW = Date.now();

function seedPayload(): Features {
  return {
    fast: {
      avg_color_features: [127.43215, 98.1234567, 201.987654],
      ahash_features: Array.from({ length: 64 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0),
    },
    orb: { keypoints_count: 500, descriptors_shape: [500, 32] },
  };
}

function embeddingPayload(): Features {
  let s = 1;
  const next = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  return { embedding: Float32Array.from({ length: 512 }, next) };
}

/** Runs `fn` in batches for about SECONDS after a warm-up; returns ops/s. */
function opsPerSecond(fn: () => unknown): number {
  for (let i = 0; i < 20_000; i++) fn();
  let ops = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(SECONDS * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 1000; i++) fn();
    ops += 1000;
    elapsed = process.hrtime.bigint() - start;
  }
  return ops / (Number(elapsed) / 1e9);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(11);

function run(name: string, codec: RecordCodec, features: Features): void {
  const bytes = codec.encode(features, NOW);
  const enc = opsPerSecond(() => codec.encode(features, NOW));
  const dec = opsPerSecond(() => codec.decode(bytes));
  console.log(`${name.padEnd(28)} ${String(bytes.length).padStart(6)} B  encode ${fmt(enc)} ops/s  decode ${fmt(dec)} ops/s`);
}

console.log(`node ${process.version}, ${SECONDS}s per measurement`);
run('seed payload', createCodec(), seedPayload());
for (const quantize of ['none', 'float16', 'int8'] as Quantize[]) {
  run(`512-float embedding, ${quantize}`, createCodec({ quantize }), embeddingPayload());
}
