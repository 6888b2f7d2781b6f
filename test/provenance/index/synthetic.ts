/**
 * Synthetic ORB features for the index tests: random descriptors (no image
 * processing), and copies sharing a chosen number of them, so the exact vote
 * count is known.
 */
import type { Redis } from 'ioredis';
import { mulberry32 } from '../../../bench/lib/prng.js';
import type { OrbFeatures } from '../../../src/features/orb.js';

export function randomOrb(seed: number, n = 300): OrbFeatures {
  const rand = mulberry32(seed);
  const descriptors = new Uint8Array(32 * n);
  for (let i = 0; i < descriptors.length; i++) descriptors[i] = Math.floor(rand() * 256);
  const keypoints = new Uint16Array(2 * n);
  for (let i = 0; i < n; i++) {
    keypoints[2 * i] = 40 + Math.floor(rand() * 560);
    keypoints[2 * i + 1] = 40 + Math.floor(rand() * 400);
  }
  return { width: 640, height: 480, keypoints, descriptors };
}

/** An image holding the first `shared` keypoints of `from` and `n - shared` of its own. */
export function sharing(from: OrbFeatures, shared: number, seed: number, n = 300): OrbFeatures {
  const own = randomOrb(seed, n);
  own.descriptors.set(from.descriptors.subarray(0, 32 * shared), 0);
  own.keypoints.set(from.keypoints.subarray(0, 2 * shared), 0);
  return own;
}

/** Postings stored under a cache's provenance index (all posting keys, any node), counted from the packed values. */
export async function countPostings(clients: Redis[], prefix: string): Promise<number> {
  let n = 0;
  for (const raw of clients) {
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}:@x:*:prov:p:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const values = await raw.hvalsBuffer(key);
        for (const v of values) n += v.length / 6;
      }
    } while (cursor !== '0');
  }
  return n;
}
