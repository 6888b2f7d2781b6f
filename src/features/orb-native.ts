/**
 * The ORB backend on the system's OpenCV (4.6, SSE/AVX): the addon native/orb.cc,
 * built by `npm run build:native` into native/build/ (scripts/setup.sh does it on
 * Debian). Same bytes as the WebAssembly build (orb-wasm.ts) at ~1/4 of its CPU
 * (docs/PROVENANCE.md, "Native OpenCV"). Loaded once per thread (each pool worker
 * loads its own); where it is not built, does not load (OpenCV's libraries missing), or
 * fails its load-time check (`exact`: keypoint angles computed as the WebAssembly
 * build computes them), the reason is kept and ORB runs on the WebAssembly build.
 * Frames are plain byte arrays: nothing to free.
 *
 * Two things keep the bytes the WebAssembly build's (native/orb.cc has the details):
 * the addon computes keypoint angles as that build does, and OpenCV is kept from its
 * AVX2/FMA code (OPENCV_CPU_DISABLE, set here before the first load when unset). That
 * variable is read once per process, when OpenCV's core library loads, and a worker's
 * process.env is its own copy: so the pool loads the addon in the main thread before
 * it starts workers (pool.ts); a worker loading it first fails the check and uses the
 * WebAssembly build, which is slower but never wrong.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { GreyImage } from './grey.js';
import type { OrbBackend, OrbFrame, OrbSteps, RawOrb } from './orb-backend.js';

/** The addon's exports (native/orb.cc). */
interface NativeOrbAddon {
  frame(grey: Uint8Array, width: number, height: number, frameWidth: number, frameHeight: number, mirror: boolean): Uint8Array;
  enhance(frame: Uint8Array, width: number, height: number, mode: 1 | 2, clip: number, tiles: number): Uint8Array;
  detect(frame: Uint8Array, width: number, height: number, nfeatures: number, levels: number): RawOrb;
  opencvVersion: string;
  exact: boolean;
}

interface NativeFrame extends OrbFrame {
  data: Uint8Array;
}

/** Where the build puts the addon: native/build/ at the package root (two levels above src/features and dist/features). */
export const NATIVE_ORB_ADDON = fileURLToPath(new URL('../../native/build/featcache-orb.node', import.meta.url));

/**
 * OpenCV's CPU features that fuse multiply and add, which the WebAssembly build never
 * does; AVX-512 only where the CPU has it (OpenCV warns on stderr about the others).
 */
function fmaFeatures(): string {
  let avx512 = false;
  try {
    avx512 = /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    avx512 = false;
  }
  return avx512 ? 'AVX2,FMA3,AVX512F,AVX512-SKX' : 'AVX2,FMA3';
}

let loaded: { backend: OrbBackend; opencv: string } | { reason: string } | undefined;

function load(): { backend: OrbBackend; opencv: string } | { reason: string } {
  if (!existsSync(NATIVE_ORB_ADDON)) return { reason: 'not built (npm run build:native)' };
  let addon: NativeOrbAddon;
  process.env.OPENCV_CPU_DISABLE ??= fmaFeatures();
  try {
    addon = createRequire(import.meta.url)(NATIVE_ORB_ADDON) as NativeOrbAddon;
  } catch (err) {
    return { reason: `does not load: ${(err instanceof Error ? err.message : String(err)).slice(0, 200)}` };
  }
  if (!addon.exact) return { reason: `load-time check failed: keypoint angles or OpenCV's AVX2/FMA code (OPENCV_CPU_DISABLE must include ${fmaFeatures()} when OpenCV loads) would change the output` };
  const frame = (data: Uint8Array, width: number, height: number): NativeFrame => ({ width, height, data });
  const steps: OrbSteps = {
    frame: (grey: GreyImage, width, height, mirror) =>
      width === grey.width && height === grey.height && !mirror ? frame(grey.data, width, height) : frame(addon.frame(grey.data, grey.width, grey.height, width, height, mirror), width, height),
    enhance: (f, contrast) => {
      const { data, width, height } = f as NativeFrame;
      const out = contrast.kind === 'clahe' ? addon.enhance(data, width, height, 1, contrast.clip, contrast.tiles) : addon.enhance(data, width, height, 2, 0, 1);
      return frame(out, width, height);
    },
    detect: (f, nfeatures, levels) => {
      const { data, width, height } = f as NativeFrame;
      return addon.detect(data, width, height, nfeatures, levels);
    },
    pixels: (f) => (f as NativeFrame).data.slice(),
    close: () => {},
  };
  return { backend: { name: 'native', open: () => steps }, opencv: addon.opencvVersion };
}

/** This thread's native backend, or why there is none. */
export function nativeOrb(): { backend: OrbBackend; opencv: string } | { reason: string } {
  loaded ??= load();
  return loaded;
}
