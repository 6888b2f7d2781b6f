/**
 * Which files `featcache ingest <dir|glob|file>` reads: image files by extension,
 * each with its path relative to a base folder (posix separators), sorted.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import fg from 'fast-glob';
import { UsageError } from '../usage.js';

/** File extensions ingested by default (case-insensitive). */
export const DEFAULT_EXTENSIONS: readonly string[] = Object.freeze(['jpg', 'jpeg', 'png', 'webp', 'gif', 'tif', 'tiff', 'avif', 'heic', 'heif']);

export interface FoundFile {
  /** Absolute path. */
  path: string;
  /** Path relative to the base folder, with `/` separators. */
  relative: string;
}

export interface Discovery {
  /** The folder ids are relative to. */
  base: string;
  files: FoundFile[];
}

const toPosix = (p: string): string => (sep === '/' ? p : p.split(sep).join('/'));

/** The static leading folders of a glob (`photos/2024/**\/*.jpg` -> `photos/2024`). */
function globBase(pattern: string): string {
  const parts = pattern.split('/');
  const fixed: string[] = [];
  for (const part of parts.slice(0, -1)) {
    if (part !== '' && fg.isDynamicPattern(part)) break;
    fixed.push(part);
  }
  if (fixed.length === 0) return '.';
  const joined = fixed.join('/');
  return joined === '' ? '/' : joined; // a pattern starting with '/' keeps its root
}

/**
 * Finds the image files named by `source`: a folder (walked recursively), a glob
 * (fast-glob syntax; base = its static leading folders) or a single file.
 * Hidden files and folders are skipped. Throws UsageError when a plain path does not exist.
 * @param extensions accepted extensions without dots. @default DEFAULT_EXTENSIONS
 */
export async function discoverImages(source: string, extensions: readonly string[] = DEFAULT_EXTENSIONS): Promise<Discovery> {
  const exts = new Set(extensions.map((e) => e.replace(/^\./, '').toLowerCase()));
  const isImage = (p: string) => {
    const dot = p.lastIndexOf('.');
    return dot > p.lastIndexOf('/') && exts.has(p.slice(dot + 1).toLowerCase());
  };
  const st = await stat(source).catch(() => null);

  let base: string;
  let relatives: string[];
  if (st?.isDirectory()) {
    base = resolve(source);
    relatives = await fg('**/*', { cwd: base, onlyFiles: true, dot: false, followSymbolicLinks: true, suppressErrors: true });
  } else if (st?.isFile()) {
    base = dirname(resolve(source));
    relatives = [basename(source)];
  } else if (fg.isDynamicPattern(toPosix(source))) {
    const pattern = toPosix(source);
    base = resolve(globBase(pattern));
    const matches = await fg(pattern, { onlyFiles: true, dot: false, absolute: true, followSymbolicLinks: true, suppressErrors: true });
    relatives = matches.map((m) => toPosix(relative(base, m)));
  } else {
    throw new UsageError(`${source}: no such file or directory`);
  }

  const files = relatives
    .filter(isImage)
    .sort()
    .map((rel) => ({ path: isAbsolute(rel) ? rel : resolve(base, rel), relative: toPosix(rel) }));
  return { base, files };
}
