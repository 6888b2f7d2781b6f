/**
 * Generated texture-poor images: smooth colour fields (a gradient under a few
 * large soft blobs, blurred), different per seed, with (almost) no ORB
 * keypoints — the abstract-wallpaper case of docs/PROVENANCE.md ("Low texture").
 */
import sharp from 'sharp';
import { prng } from '../features/fixtures.js';

export async function smoothPng(seed: number, width = 480, height = 360): Promise<Buffer> {
  const rnd = prng(seed);
  const colour = () => `rgb(${Math.floor(40 + rnd() * 200)},${Math.floor(40 + rnd() * 200)},${Math.floor(40 + rnd() * 200)})`;
  const blobs: string[] = [];
  for (let i = 0; i < 4; i++) {
    blobs.push(`<ellipse cx="${rnd() * width}" cy="${rnd() * height}" rx="${width * (0.15 + rnd() * 0.2)}" ry="${height * (0.15 + rnd() * 0.2)}" fill="${colour()}"/>`);
  }
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<defs><linearGradient id="g" x1="0" y1="0" x2="${rnd().toFixed(2)}" y2="1"><stop offset="0" stop-color="${colour()}"/><stop offset="1" stop-color="${colour()}"/></linearGradient></defs>` +
    `<rect width="${width}" height="${height}" fill="url(#g)"/>${blobs.join('')}</svg>`;
  return sharp(Buffer.from(svg)).blur(Math.round(Math.min(width, height) / 12)).png().toBuffer();
}
