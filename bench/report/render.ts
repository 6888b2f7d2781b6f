/** SVG -> PNG with sharp (libvips/librsvg); the SVG is kept beside the PNG. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

/** Writes `<dir>/<name>.svg` and `<dir>/<name>.png`; returns the PNG path. */
export async function renderChart(dir: string, name: string, svg: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.svg`), svg);
  const png = join(dir, `${name}.png`);
  await sharp(Buffer.from(svg), { density: 96 }).png().toFile(png);
  return png;
}
