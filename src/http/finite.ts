/**
 * The non-finite-number rule of request bodies: NaN and ±Infinity are refused
 * in features on every wire (INVALID_FEATURES). msgpack could carry them, but a
 * record written through msgpack may be read through JSON, which cannot (it
 * would turn them into null): refusing them everywhere never changes a value.
 * JSON's only way in is an overflowing literal such as 1e400.
 */

/** The path of the first non-finite number in `value` (a features map), or undefined. */
export function nonFinitePath(value: unknown): (string | number)[] | undefined {
  const path: (string | number)[] = [];
  return find(value, path) ? path : undefined;
}

function find(v: unknown, path: (string | number)[]): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (v === null || typeof v !== 'object') return false;
  if (ArrayBuffer.isView(v)) {
    if (!(v instanceof Float32Array || v instanceof Float64Array)) return false; // integer arrays are always finite
    // x * 0 is 0 for finite x and NaN otherwise: one branch-free pass, then find the index
    let probe = 0;
    for (let i = 0; i < v.length; i++) probe += v[i]! * 0;
    if (probe === 0) return false;
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i]!)) {
        path.push(i);
        return true;
      }
    }
    return false;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const e: unknown = v[i];
      if (e !== null && (typeof e === 'object' || (typeof e === 'number' && !Number.isFinite(e)))) {
        path.push(i);
        if (find(e, path)) return true;
        path.pop();
      }
    }
    return false;
  }
  for (const k of Object.keys(v)) {
    path.push(k);
    if (find((v as Record<string, unknown>)[k], path)) return true;
    path.pop();
  }
  return false;
}
