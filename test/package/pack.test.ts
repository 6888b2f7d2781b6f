/**
 * The package as a user installs it: `npm pack` (which builds), the tarball
 * unpacked into a temporary project whose dependencies are this checkout's
 * node_modules (linked, so no network), then a consumer file that imports every
 * documented symbol from `featcache` and `featcache/server` is type-checked
 * with tsc (NodeNext resolution, so package.json "exports" decide) and run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'featcache-pack-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every symbol the docs show, by entry point. */
const ROOT_VALUES = [
  'createFeatureCache',
  'cacheOptionsSchema',
  'FeatureCacheError',
  'ErrorCodes',
  'isFeatureCacheError',
  'extractFeatures',
  'hammingDistance',
  'EXTRACTORS',
  'extractorVersion',
  'extractionFeatureVersion',
  'createExtractionPool',
  'DEFAULT_MAX_PIXELS',
  'KEY_SEGMENT',
  'MAX_TTL_SECONDS',
] as const;
const SERVER_VALUES = ['createServiceApp', 'startServer', 'runService', 'loadConfig', 'loadBackendConfig', 'openBackend', 'ConfigError'] as const;

const CONSUMER = `
import { ${ROOT_VALUES.join(', ')} } from 'featcache';
import type { FeatureCache, FeatureCacheOptions, FeatureRecord, ExtractedFeatures, ExtractionPool, ExtractOptions, SimilarResult } from 'featcache';
import { ${SERVER_VALUES.join(', ')} } from 'featcache/server';
import type { ServiceApp, ServiceConfig, RunningServer, Backend } from 'featcache/server';
import sharp from 'sharp';

const options: FeatureCacheOptions = { prefix: 'app:', ttlSeconds: 60, redis: 'redis://127.0.0.1:6379' };
const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 30, b: 90 } } }).png().toBuffer();
const f: ExtractedFeatures = await extractFeatures(png);
const pool: ExtractionPool = createExtractionPool({ size: 1 });
const g = await pool.extract(png, {} satisfies ExtractOptions);
await pool.close();
const config: ServiceConfig = loadConfig({ PORT: '0' });
type Unused = [FeatureCache, FeatureRecord, SimilarResult, ServiceApp, RunningServer, Backend, typeof options];
const values: Record<string, unknown> = { ${[...ROOT_VALUES, ...SERVER_VALUES].join(', ')} };
console.log(JSON.stringify({
  missing: Object.keys(values).filter((k) => values[k] === undefined),
  same: f.phash === g.phash && hammingDistance(f.phash, g.phash) === 0,
  version: extractionFeatureVersion('1.0') === '1.0+' + extractorVersion(),
  extractors: EXTRACTORS.length,
  prefix: cacheOptionsSchema.parse({ prefix: options.prefix }).prefix,
  port: config.port,
}));
`;

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
}

describe('the published package', () => {
  it('packs, installs without network, type-checks and runs a consumer of every documented symbol', () => {
    // npm pack runs prepack (npm run build, incremental)
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], ROOT)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed[0]!.files.map((f) => f.path);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/service.d.ts');
    expect(files.filter((f) => f.startsWith('bench/') || f.includes('tsbuildinfo') || f.startsWith('test/'))).toEqual([]);
    expect(files.some((f) => f.includes('commands/bench'))).toBe(false);

    const project = join(dir, 'consumer');
    const modules = join(project, 'node_modules');
    mkdirSync(join(modules, 'featcache'), { recursive: true });
    run('tar', ['-xzf', join(dir, packed[0]!.filename), '-C', join(modules, 'featcache'), '--strip-components=1'], dir);
    // the installed dependencies: this checkout's, linked (an offline install)
    for (const name of readdirSync(join(ROOT, 'node_modules'))) {
      if (name === 'featcache' || name === '.bin' || name.startsWith('.')) continue;
      symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
    }
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, types: ['node'] },
        files: ['consumer.ts'],
      }),
    );
    writeFileSync(join(project, 'consumer.ts'), CONSUMER);
    // type-check and emit consumer.js (the types only exist for tsc)
    run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project);

    const out = JSON.parse(run(process.execPath, ['consumer.js'], project)) as Record<string, unknown>;
    expect(out).toEqual({ missing: [], same: true, version: true, extractors: 6, prefix: 'app', port: 0 });
  }, 300_000); // ~15 s of CPU with an up-to-date build; a loaded 2-core machine stretches the wall time

  it('the CLI of the package has no bench command', () => {
    const bin = join(dir, 'consumer', 'node_modules', 'featcache', 'dist', 'cli', 'main.js');
    const help = run(process.execPath, [bin, '--help'], dir);
    expect(help).toContain('ingest');
    expect(help).not.toMatch(/\bbench\b/);
  });
});
