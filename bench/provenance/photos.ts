/**
 * The real photographs of the provenance bench: Debian's mate-backgrounds
 * (nature photos, plus the abstract set), installed with apt-get when missing.
 * Each is normalised to about 1 megapixel (JPEG q92), as the measurements in
 * issue 13 were made.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

export const PHOTO_DIRS = ['/usr/share/backgrounds/mate/nature', '/usr/share/backgrounds/mate/abstract'];
/** Other resolutions of a photo already in the set (Elephants_3840x2160.jpg): the same picture, so left out. */
const OTHER_RESOLUTION = /_\d+x\d+\.\w+$/;

export interface Photo {
  name: string;
  /** ~1 MP JPEG. */
  data: Buffer;
  megapixels: number;
}

/** Installs mate-backgrounds with apt-get when its photos are missing. */
export function ensurePhotos(log: (s: string) => void): void {
  if (existsSync(PHOTO_DIRS[0]!)) return;
  log('installing mate-backgrounds with apt-get (the bench photos)...');
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'mate-backgrounds'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

export async function loadPhotos(targetMegapixels = 1): Promise<Photo[]> {
  const out: Photo[] = [];
  for (const dir of PHOTO_DIRS) {
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).sort()) {
      if (!/\.(jpe?g|png)$/i.test(file) || OTHER_RESOLUTION.test(file)) continue;
      const img = sharp(join(dir, file)).rotate().flatten({ background: '#000' });
      const m = await img.metadata();
      const scale = Math.min(1, Math.sqrt((targetMegapixels * 1e6) / ((m.width ?? 1) * (m.height ?? 1))));
      const width = Math.round((m.width ?? 1) * scale);
      const height = Math.round((m.height ?? 1) * scale);
      const data = await img.resize(width, height).jpeg({ quality: 92 }).toBuffer();
      out.push({ name: file.replace(/\.\w+$/, ''), data, megapixels: (width * height) / 1e6 });
    }
  }
  return out;
}
