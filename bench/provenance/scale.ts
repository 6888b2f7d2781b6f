/**
 * npm run bench:provenance:scale — work in progress (build step only).
 */
import { createExtractionPool } from '../../src/features/pool.js';
import { buildDistractors, cachedDistractors, corpusDir, DEFAULT_DISTRACTORS } from './distractor-cache.js';

const arg = (name: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const IMAGES = Number(arg('images') ?? 100_000);
const log = (s: string) => process.stderr.write(`${s}\n`);

async function main(): Promise<void> {
  const spec = DEFAULT_DISTRACTORS;
  log(`distractor cache ${corpusDir(spec)}: ${cachedDistractors(spec)} on disk`);
  const pool = createExtractionPool({ size: 2, maxQueue: 64 });
  try {
    await buildDistractors(spec, IMAGES, pool, log);
  } finally {
    await pool.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
