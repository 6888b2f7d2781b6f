/**
 * The Python client's tests (clients/python/tests, unittest) against the real
 * service on a real redis-server: batch get/set with every typed-array dtype
 * bit-exact, single get/put/delete, groups, keys and scopes, errors with the
 * service's code, uploads, similar, compare, verify, groups and provenance. Fails when any
 * Python test fails or is skipped.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSet } from '../provenance/set-fixture.js';
import { runPython } from '../helpers/python.js';
import { startStack, type Stack } from '../http/stack.js';

const WRITE_KEY = 'py-write-key-0123456789';
const READ_KEY = 'py-read-key-0123456789';
const MAX_BATCH = 50; // small, so the client's splitting of long batches is exercised
const IMAGES = ['a-source', 'a-rotate90', 'g-source', 'f-source'];

let s: Stack;
let imageDir: string;

beforeAll(async () => {
  s = await startStack({ FEATCACHE_API_KEYS: `${WRITE_KEY}:write,${READ_KEY}:read`, FEATCACHE_MAX_BATCH: String(MAX_BATCH), FEATCACHE_PROVENANCE_INDEX: 'true' });
  imageDir = mkdtempSync(join(tmpdir(), 'featcache-py-images-'));
  for (const img of await buildSet()) if (IMAGES.includes(img.id)) writeFileSync(join(imageDir, `${img.id}.png`), img.data);
}, 120_000);

afterAll(async () => {
  await s?.stop();
  if (imageDir) rmSync(imageDir, { recursive: true, force: true });
});

describe('Python client (clients/python)', () => {
  it('has Debian python3 with requests, msgpack and numpy (scripts/setup.sh test installs them)', async () => {
    const r = await runPython(['-c', 'import requests, msgpack, numpy']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('passes its unittest suite against the real service, nothing skipped', async () => {
    const r = await runPython(['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.', '-v'], {
      FEATCACHE_URL: s.url,
      FEATCACHE_WRITE_KEY: WRITE_KEY,
      FEATCACHE_READ_KEY: READ_KEY,
      FEATCACHE_MAX_BATCH: String(MAX_BATCH),
      FEATCACHE_TEST_IMAGES: imageDir,
    });
    // unittest reports on stderr: one line per test, then "Ran N tests" and "OK"
    if (r.code !== 0) console.error(r.stderr.slice(-6000));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^OK$/m);
    expect(r.stderr).not.toMatch(/skipped/);
    const ran = Number(/^Ran (\d+) tests?/m.exec(r.stderr)?.[1] ?? 0);
    expect(ran).toBeGreaterThanOrEqual(26);
  }, 120_000);
});
