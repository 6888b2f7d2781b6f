/**
 * npx tsx bench/provenance/orb3-carry-over.ts [--sample N] [--link] — does the
 * 100,000-image distractor corpus of the scale bench, extracted with `orb.2`, hold
 * what the current extractor (`orb.3`) gives for the same images?
 *
 * 1. check: re-extracts N distractors (default 500, spread evenly over the shards:
 *    distractor k is drawTexture(seedBase + k), distractor-cache.ts) with the current
 *    code, in this process, and compares each encoded record (the cache codec, created-at
 *    0, as the shards store them) byte for byte with the cached orb.2 record. orb.3
 *    analyses frames up to ORB_SMALL_SIDE px as orb.2 did, so the 320 x 240 corpus must
 *    come out identical. Any difference is listed and the exit code is 1.
 *    Compared are the features, field by field (typed arrays byte for byte, their
 *    types included; numbers and strings exactly), as the codec decodes the record: the
 *    shards were written by an earlier codec format (header), which the codec reads, so
 *    re-encoding fresh features need not give the shard's bytes.
 * 2. `--link`, only when every sampled record is identical: creates the current
 *    version's corpus directory beside the orb.2 one, its shard files hard links to the
 *    orb.2 ones (a record holds no version: the directory name is the key). The links
 *    are made in a temporary directory renamed at the end. The orb.2 directory is only
 *    read; the bench replaces a shard by writing a new file and renaming it, never in
 *    place, so the shared inodes are never written.
 */
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadavg } from 'node:os';
import { extractFeatures } from '../../src/features/index.js';
import type { Features } from '../../src/index.js';
import { createCodec } from '../../src/codec/index.js';
import { corpusDir, DEFAULT_DISTRACTORS, distractorSeed, SCALE_EXTRACTORS, SHARD_SIZE, shardFile, shardRecords } from './distractor-cache.js';
import { drawnTextureJpeg } from './drawn-textures.js';

/** The corpus the distractors were extracted with. */
const ORB2_VERSION = 'phash.1+meta.1+orb.2+phash_dihedral.1+content_hash.1';

const log = (s: string) => process.stderr.write(`${s}\n`);
const codec = createCodec();

/** The first field where two feature records differ, or null when they are the same. */
export function featureDifference(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>, path = ''): string | null {
  const keys = Object.keys(a);
  if (keys.join() !== Object.keys(b).join()) return `${path || 'record'}: fields ${keys.join()} vs ${Object.keys(b).join()}`;
  for (const k of keys) {
    const x = a[k];
    const y = b[k];
    const at = path ? `${path}.${k}` : k;
    if (ArrayBuffer.isView(x) || ArrayBuffer.isView(y)) {
      if (!ArrayBuffer.isView(x) || !ArrayBuffer.isView(y) || x.constructor !== y.constructor) return `${at}: types differ`;
      if (!Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength))) return `${at}: bytes differ`;
    } else if (x !== null && y !== null && typeof x === 'object' && typeof y === 'object') {
      const d = featureDifference(x as Record<string, unknown>, y as Record<string, unknown>, at);
      if (d !== null) return d;
    } else if (!Object.is(x, y)) return `${at}: ${String(x)} vs ${String(y)}`;
  }
  return null;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

async function main(): Promise<void> {
  const spec = DEFAULT_DISTRACTORS;
  const sample = Number(arg('--sample') ?? 500);
  const from = corpusDir(spec, ORB2_VERSION);
  const to = corpusDir(spec);
  if (from === to) throw new Error(`the current extractor version is the orb.2 one: nothing to carry over (${to})`);
  const shards = readdirSync(from).filter((f) => /^shard-\d{5}\.bin$/.test(f)).sort();
  if (shards.length === 0) throw new Error(`no shards in ${from}`);
  const perShard = Math.max(1, Math.ceil(sample / shards.length));
  const step = Math.floor(SHARD_SIZE / perShard);
  log(`checking ${perShard * shards.length} distractors (${perShard} per shard of ${shards.length}) against ${from}; load average ${loadavg()[0]!.toFixed(1)}`);

  const differ: string[] = [];
  let checked = 0;
  const t0 = performance.now();
  for (let n = 0; n < shards.length; n++) {
    const records = shardRecords(readFileSync(shardFile(from, n)));
    for (let j = 0; j < perShard; j++) {
      const i = (j * step + n * 37) % SHARD_SIZE; // a different offset in every shard
      const k = n * SHARD_SIZE + i;
      const jpeg = await drawnTextureJpeg(distractorSeed(spec, k), spec);
      const now = (await extractFeatures(jpeg, { extractors: [...SCALE_EXTRACTORS] })) as Features;
      const cached = records[i];
      const d = cached === undefined ? 'missing' : featureDifference(now, codec.decode(cached).features);
      if (d !== null) differ.push(`distractor ${k} (shard ${n}, record ${i}): ${d}`);
      checked++;
    }
    if ((n + 1) % 20 === 0) log(`  ${n + 1}/${shards.length} shards, ${checked} checked, ${differ.length} differ (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const result = { checked, identical: checked - differ.length, differ: differ.slice(0, 20), from, to, load_average: loadavg()[0]!.toFixed(1) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (differ.length > 0) {
    log(`${differ.length} of ${checked} records differ: the corpus does not carry over`);
    process.exitCode = 1;
    return;
  }
  log(`all ${checked} sampled records identical`);
  if (!process.argv.includes('--link')) return;
  if (existsSync(to)) {
    log(`${to} exists already: left as it is`);
    return;
  }
  const tmp = join(dirname(to), `.${basename(to)}.tmp-${process.pid}`);
  mkdirSync(tmp);
  for (const f of shards) linkSync(join(from, f), join(tmp, f));
  renameSync(tmp, to);
  log(`linked ${shards.length} shards into ${to}`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
