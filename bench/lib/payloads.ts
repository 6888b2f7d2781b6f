/** The benchmark payloads: the seed system's feature record and a 512-float embedding. */
import type { Features } from '../../src/index.js';

/** fast: 3 colour means + a 64-bit aHash as 0/1 values; orb: keypoint count + descriptor shape. */
export function seedPayload(): Features {
  const n = 200 + Math.floor(Math.random() * 300);
  return {
    fast: {
      avg_color_features: [Math.random() * 255, Math.random() * 255, Math.random() * 255],
      ahash_features: Array.from({ length: 64 }, () => (Math.random() < 0.5 ? 0 : 1)),
    },
    orb: { keypoints_count: n, descriptors_shape: [n, 32] },
  };
}

/** A unit-length 512-float32 embedding (like CLIP's). */
export function embeddingPayload(): Features {
  const v = new Float32Array(512);
  let norm = 0;
  for (let i = 0; i < v.length; i++) {
    v[i] = Math.random() * 2 - 1;
    norm += v[i]! * v[i]!;
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
  return { embedding: v };
}
