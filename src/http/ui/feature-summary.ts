/**
 * A person-readable line per feature type of a record: its kind (hash, number,
 * typed array ...), its size and a short preview. Records are read as msgpack by
 * the dashboard, so typed arrays keep their type here.
 */

export interface FeatureLine {
  name: string;
  kind: string;
  /** Elements (arrays), characters (strings) or keys (objects); bytes for typed arrays. */
  size: string;
  preview: string;
}

const PREVIEW_CHARS = 120;

function clip(s: string): string {
  return s.length > PREVIEW_CHARS ? `${s.slice(0, PREVIEW_CHARS - 1)}…` : s;
}

function jsonPreview(v: unknown): string {
  try {
    return clip(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v));
  } catch {
    return clip(String(v));
  }
}

type AnyTypedArray = { length: number; byteLength: number; constructor: { name: string }; subarray(a: number, b: number): ArrayLike<number | bigint> };

function isTypedArray(v: unknown): v is AnyTypedArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/** One line of one feature value. */
export function describeFeature(name: string, v: unknown): FeatureLine {
  if (isTypedArray(v)) {
    const t = v;
    const head = Array.from(t.subarray(0, 12), String).join(', ');
    return { name, kind: t.constructor.name, size: `${t.length} × ${t.byteLength / Math.max(1, t.length)} B = ${t.byteLength} B`, preview: clip(`[${head}${t.length > 12 ? ', …' : ''}]`) };
  }
  if (typeof v === 'string') return { name, kind: /^[0-9a-f]{16}$/.test(v) ? '64-bit hash (hex)' : 'string', size: `${v.length} chars`, preview: clip(v) };
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return { name, kind: typeof v, size: '', preview: String(v) };
  if (Array.isArray(v)) return { name, kind: 'array', size: `${v.length} items`, preview: jsonPreview(v) };
  if (v === null) return { name, kind: 'null', size: '0', preview: 'null' };
  if (typeof v === 'object') {
    // nested typed arrays (orb: keypoints, descriptors) by type and length, the rest as JSON
    const parts = Object.entries(v).map(([k, x]) => `${k}: ${isTypedArray(x) ? `${x.constructor.name}(${x.length})` : jsonPreview(x)}`);
    const bytes = Object.values(v).reduce((n: number, x) => n + (isTypedArray(x) ? x.byteLength : 0), 0);
    return { name, kind: 'object', size: `${Object.keys(v).length} keys${bytes ? `, ${bytes} B of arrays` : ''}`, preview: clip(parts.join(', ')) };
  }
  return { name, kind: typeof v, size: '', preview: typeof v };
}

/** Lines of every feature type, by name. */
export function describeFeatures(features: Record<string, unknown>): FeatureLine[] {
  return Object.keys(features)
    .sort()
    .map((k) => describeFeature(k, features[k]));
}
