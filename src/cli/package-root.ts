/** The featcache package folder (holds package.json, scripts/, bench/), from src/cli or dist/cli. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Walks up from this module to the folder whose package.json names featcache. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'scripts', 'start-redis.sh'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the featcache package folder');
    dir = up;
  }
}
