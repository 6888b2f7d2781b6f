/** Real test images made by sharp: smooth random scenes and a near-duplicate variant. */
import sharp from 'sharp';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** A 320x240 PNG: an 8x6 grid of random colours upscaled smoothly (a different scene per seed). */
export async function scene(seed: number): Promise<Buffer> {
  const next = prng(seed);
  const px = Buffer.alloc(8 * 6 * 3);
  for (let i = 0; i < px.length; i++) px[i] = Math.floor(next() * 256);
  return sharp(px, { raw: { width: 8, height: 6, channels: 3 } }).resize(320, 240, { kernel: 'cubic' }).png().toBuffer();
}

/** The same scene resized to 200x150, slightly brightened and re-compressed as JPEG at quality 70. */
export async function nearDuplicate(image: Buffer): Promise<Buffer> {
  return sharp(image).resize(200, 150).modulate({ brightness: 1.05 }).jpeg({ quality: 70 }).toBuffer();
}

/** A multipart body with the image and text fields. */
export function form(image: Buffer, fields: Record<string, string> = {}, type = 'image/png'): FormData {
  const f = new FormData();
  f.set('image', new Blob([new Uint8Array(image)], { type }), 'upload');
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
}
