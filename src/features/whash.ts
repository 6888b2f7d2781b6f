/**
 * Wavelet hash, as imagehash's `whash(image, hash_size=8, mode='haar',
 * remove_max_haar_ll=True)`:
 *
 * 1. `scale` = the largest power of two <= the shorter side (at least 8); the grey
 *    image is resized to `scale` x `scale` (Pillow Lanczos) and divided by 255;
 * 2. a full Haar decomposition (`pywt.wavedec2(..., 'haar', level=log2(scale))`), its
 *    1x1 LL set to 0, and the reconstruction (`pywt.waverec2`): the image minus its mean;
 * 3. a Haar decomposition down to 8x8 (`level = log2(scale) - 3`); bit = LL value >
 *    numpy median of the 64 values; row-major, first bit most significant.
 *
 * Each Haar step repeats pywt's float64 operations in pywt's order (rows axis first,
 * then columns; `cA = h*x[2k+1] + h*x[2k]`, `cD = h*x[2k] - h*x[2k+1]`, and for the
 * inverse `x[2k] = h*a + h*d`, `x[2k+1] = h*a - h*d`, h = 1/sqrt 2 as pywt stores it),
 * so equal-looking blocks round as they do in Python and the median sees the same values.
 */
import type { GreyImage } from './grey.js';
import { bitsToHex } from './hex.js';
import { median } from './phash.js';
import { resizeLanczos } from './resize.js';

export const WHASH_SIZE = 8;

/** pywt's Haar filter coefficient (`pywt.Wavelet('haar').dec_lo[0]`). */
const H = 0.7071067811865476;

/** A square float64 matrix, row-major. */
interface Square {
  data: Float64Array;
  n: number;
}

/** The four sub-bands of one 2-D Haar step of an n x n matrix (each n/2 x n/2). */
interface Bands {
  aa: Float64Array;
  ad: Float64Array;
  da: Float64Array;
  dd: Float64Array;
}

/** One 2-D Haar analysis step (pywt.dwt2): along the rows axis (vertical pairs), then the columns axis. */
function dwt2(m: Square): Bands {
  const { data, n } = m;
  const h = n / 2;
  // axis -2: vertical pairs -> a (h x n), d (h x n)
  const a = new Float64Array(h * n);
  const d = new Float64Array(h * n);
  for (let k = 0; k < h; k++) {
    for (let j = 0; j < n; j++) {
      const x0 = data[2 * k * n + j]!;
      const x1 = data[(2 * k + 1) * n + j]!;
      a[k * n + j] = H * x1 + H * x0;
      d[k * n + j] = -H * x1 + H * x0;
    }
  }
  // axis -1: horizontal pairs of each
  const split = (src: Float64Array): [Float64Array, Float64Array] => {
    const lo = new Float64Array(h * h);
    const hi = new Float64Array(h * h);
    for (let i = 0; i < h; i++) {
      for (let k = 0; k < h; k++) {
        const x0 = src[i * n + 2 * k]!;
        const x1 = src[i * n + 2 * k + 1]!;
        lo[i * h + k] = H * x1 + H * x0;
        hi[i * h + k] = -H * x1 + H * x0;
      }
    }
    return [lo, hi];
  };
  const [aa, ad] = split(a);
  const [da, dd] = split(d);
  return { aa, ad, da, dd };
}

/** One 2-D Haar synthesis step (pywt.idwt2): along the columns axis first, then the rows axis. */
function idwt2(b: Bands, h: number): Square {
  const n = 2 * h;
  // axis -1: (aa, ad) -> a, (da, dd) -> d, each h x n
  const merge = (lo: Float64Array, hi: Float64Array): Float64Array => {
    const out = new Float64Array(h * n);
    for (let i = 0; i < h; i++) {
      for (let k = 0; k < h; k++) {
        const x = lo[i * h + k]!;
        const y = hi[i * h + k]!;
        out[i * n + 2 * k] = H * x + H * y;
        out[i * n + 2 * k + 1] = H * x + -H * y;
      }
    }
    return out;
  };
  const a = merge(b.aa, b.ad);
  const d = merge(b.da, b.dd);
  // axis -2: (a, d) -> n x n
  const data = new Float64Array(n * n);
  for (let k = 0; k < h; k++) {
    for (let j = 0; j < n; j++) {
      const x = a[k * n + j]!;
      const y = d[k * n + j]!;
      data[2 * k * n + j] = H * x + H * y;
      data[(2 * k + 1) * n + j] = H * x + -H * y;
    }
  }
  return { data, n };
}

/** The image minus its lowest-level LL: full decomposition, LL := 0, reconstruction. */
function removeMaxLevelLL(m: Square): Square {
  const details: Bands[] = [];
  let cur = m;
  while (cur.n > 1) {
    const b = dwt2(cur);
    details.push(b);
    cur = { data: b.aa, n: cur.n / 2 };
  }
  let rec: Square = { data: new Float64Array(cur.data.length).fill(0), n: cur.n };
  for (let i = details.length - 1; i >= 0; i--) rec = idwt2({ ...details[i]!, aa: rec.data }, rec.n);
  return rec;
}

/** wHash bits of a grey image at any size. */
export function waveletHashBits(grey: GreyImage, hashSize = WHASH_SIZE): Uint8Array {
  const shorter = Math.min(grey.width, grey.height);
  const scale = Math.max(2 ** (31 - Math.clz32(shorter)), hashSize);
  const small = resizeLanczos(grey, scale, scale);
  const pixels = new Float64Array(scale * scale);
  for (let i = 0; i < pixels.length; i++) pixels[i] = small.data[i]! / 255;
  let m = removeMaxLevelLL({ data: pixels, n: scale });
  while (m.n > hashSize) m = { data: dwt2(m).aa, n: m.n / 2 };
  const med = median(m.data);
  const bits = new Uint8Array(m.data.length);
  for (let i = 0; i < bits.length; i++) bits[i] = m.data[i]! > med ? 1 : 0;
  return bits;
}

/** 16-hex-digit wHash (haar) of a full-size grey image. */
export function waveletHash(grey: GreyImage): string {
  return bitsToHex(waveletHashBits(grey));
}
