/**
 * Unnormalised DCT-II as computed by `scipy.fftpack.dct(x, type=2)` (norm=None):
 * `y[k] = 2 * sum_{n<N} x[n] * cos(pi * k * (2n + 1) / (2N))`.
 * imagehash's pHash applies it along axis 0 (columns) then axis 1 (rows) and keeps
 * the top-left low-frequency block, so only that block is computed here.
 */

const tableCache = new Map<number, Float64Array>();

/** `cos(pi * k * (2n + 1) / (2N))` for k < keep, n < N, row-major by k. */
function cosTable(n: number, keep: number): Float64Array {
  const key = n * 4096 + keep;
  let t = tableCache.get(key);
  if (t === undefined) {
    t = new Float64Array(keep * n);
    for (let k = 0; k < keep; k++) {
      for (let i = 0; i < n; i++) t[k * n + i] = Math.cos((Math.PI * k * (2 * i + 1)) / (2 * n));
    }
    tableCache.set(key, t);
  }
  return t;
}

/**
 * 2-D DCT-II (columns first, then rows) of a row-major `size` x `size` matrix,
 * returning only the top-left `keep` x `keep` coefficients (row-major, DC first).
 */
export function dct2dLowFrequencies(matrix: ArrayLike<number>, size: number, keep: number): Float64Array {
  if (matrix.length !== size * size) throw new RangeError(`dct2d: expected ${size * size} values, got ${matrix.length}`);
  if (!Number.isInteger(keep) || keep < 1 || keep > size) throw new RangeError(`dct2d: keep must be in 1..${size}`);
  const cos = cosTable(size, keep);
  // Axis 0: for each column j and frequency k < keep.
  const cols = new Float64Array(keep * size);
  for (let k = 0; k < keep; k++) {
    for (let j = 0; j < size; j++) {
      let s = 0;
      for (let i = 0; i < size; i++) s += matrix[i * size + j]! * cos[k * size + i]!;
      cols[k * size + j] = 2 * s;
    }
  }
  // Axis 1: for each kept row k and frequency l < keep.
  const out = new Float64Array(keep * keep);
  for (let k = 0; k < keep; k++) {
    for (let l = 0; l < keep; l++) {
      let s = 0;
      for (let j = 0; j < size; j++) s += cols[k * size + j]! * cos[l * size + j]!;
      out[k * keep + l] = 2 * s;
    }
  }
  return out;
}
