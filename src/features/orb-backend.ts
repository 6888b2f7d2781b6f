/**
 * The OpenCV steps of an ORB extraction (src/features/orb.ts), behind one interface with
 * two implementations that give the same bytes:
 * - `native`: Debian's OpenCV 4.6 (SSE/AVX) through the small addon in native/
 *   (orb-native.ts), used when it is built and loads;
 * - `wasm`: OpenCV 4.5's WebAssembly build from npm (orb-wasm.ts), everywhere else.
 * `FEATCACHE_ORB_BACKEND=wasm` forces the WebAssembly build (`native` forces the addon:
 * an error when it does not load). The choice is made once per thread.
 */
import type { GreyImage } from './grey.js';

/** A frame as one backend holds it (pixels in its own memory). */
export interface OrbFrame {
  readonly width: number;
  readonly height: number;
}

/** What ORB detected on a frame, before grid selection. */
export interface RawOrb {
  /** 6 values per keypoint: x, y, size, angle, response, octave (OpenCV's KeyPoint). */
  keypoints: Float32Array;
  /** 32 bytes per keypoint, in the same order. */
  descriptors: Uint8Array;
}

/** Bytes per descriptor (256 bits). */
export const ORB_DESCRIPTOR_BYTES = 32;

/** Values per keypoint in RawOrb.keypoints, and where x, y and the response are. */
export const RAW_KEYPOINT_FIELDS = 6;
export const RAW_X = 0;
export const RAW_Y = 1;
export const RAW_RESPONSE = 4;

/** One extraction's steps; frames it made are freed by close(). */
export interface OrbSteps {
  /** The grey image area-downscaled to width x height (INTER_AREA; when the size differs), mirrored if asked. */
  frame(grey: GreyImage, width: number, height: number, mirror: boolean): OrbFrame;
  /** The frame with local contrast raised (CLAHE, clip and tiles per side) or its histogram equalised. */
  enhance(frame: OrbFrame, contrast: { kind: 'clahe'; clip: number; tiles: number } | { kind: 'equalize' }): OrbFrame;
  /** OpenCV's ORB (its defaults but the pyramid levels) on the frame. */
  detect(frame: OrbFrame, nfeatures: number, levels: number): RawOrb;
  /** A frame's pixels, row-major (measurement and tests). */
  pixels(frame: OrbFrame): Uint8Array;
  close(): void;
}

export type OrbBackendName = 'native' | 'wasm';

export interface OrbBackend {
  readonly name: OrbBackendName;
  open(): OrbSteps;
}
