/**
 * The ORB backend on OpenCV's WebAssembly build (opencv.ts): the `orb.2` reference, and
 * what runs wherever the native addon is not built. Frames are Mats in the WebAssembly
 * heap, freed by close().
 */
import type { GreyImage } from './grey.js';
import { loadOpenCv, opencvError, type CvMat, type OpenCv } from './opencv.js';
import { ORB_DESCRIPTOR_BYTES, RAW_KEYPOINT_FIELDS, type OrbBackend, type OrbFrame, type OrbSteps, type RawOrb } from './orb-backend.js';

interface WasmFrame extends OrbFrame {
  mat: CvMat;
}

interface Deletable {
  delete(): void;
}

function steps(cv: OpenCv): OrbSteps {
  const owned: Deletable[] = [];
  const own = <T extends Deletable>(x: T): T => {
    owned.push(x);
    return x;
  };
  const wrap = (mat: CvMat): WasmFrame => ({ width: mat.cols, height: mat.rows, mat });
  // C++ exceptions arrive as pointers: decoded here, where the module is at hand
  const guard =
    <A extends unknown[], R>(f: (...args: A) => R) =>
    (...args: A): R => {
      try {
        return f(...args);
      } catch (err) {
        throw opencvError('extracting ORB features', err, cv);
      }
    };
  return {
    frame: guard((grey: GreyImage, width: number, height: number, mirror: boolean): OrbFrame => {
      let mat = own(cv.matFromArray(grey.height, grey.width, cv.CV_8UC1, grey.data));
      if (width !== grey.width || height !== grey.height) {
        const small = own(new cv.Mat());
        cv.resize(mat, small, new cv.Size(width, height), 0, 0, cv.INTER_AREA);
        mat = small;
      }
      if (mirror) {
        const flipped = own(new cv.Mat());
        cv.flip(mat, flipped, 1);
        mat = flipped;
      }
      return wrap(mat);
    }),
    enhance: guard((frame: OrbFrame, contrast: Parameters<OrbSteps['enhance']>[1]): OrbFrame => {
      const out = own(new cv.Mat());
      const src = (frame as WasmFrame).mat;
      if (contrast.kind === 'equalize') cv.equalizeHist(src, out);
      else own(new cv.CLAHE(contrast.clip, new cv.Size(contrast.tiles, contrast.tiles))).apply(src, out);
      return wrap(out);
    }),
    detect: guard((frame: OrbFrame, nfeatures: number, levels: number): RawOrb => {
      const orb = own(new cv.ORB(nfeatures));
      orb.setNLevels(levels);
      const keypoints = own(new cv.KeyPointVector());
      const descriptors = own(new cv.Mat());
      orb.detectAndCompute((frame as WasmFrame).mat, own(new cv.Mat()), keypoints, descriptors);
      const n = keypoints.size();
      if (n > 0 && (descriptors.rows !== n || descriptors.cols !== ORB_DESCRIPTOR_BYTES)) {
        throw new Error(`unexpected descriptor matrix ${descriptors.rows}x${descriptors.cols} for ${n} keypoints`);
      }
      const out = new Float32Array(n * RAW_KEYPOINT_FIELDS);
      for (let i = 0; i < n; i++) {
        const kp = keypoints.get(i);
        const o = i * RAW_KEYPOINT_FIELDS;
        out[o] = kp.pt.x;
        out[o + 1] = kp.pt.y;
        out[o + 2] = kp.size;
        out[o + 3] = kp.angle;
        out[o + 4] = kp.response;
        out[o + 5] = kp.octave;
      }
      return { keypoints: out, descriptors: n > 0 ? descriptors.data.slice(0, n * ORB_DESCRIPTOR_BYTES) : new Uint8Array(0) };
    }),
    pixels: (frame) => (frame as WasmFrame).mat.data.slice(),
    close() {
      for (const x of owned.splice(0)) x.delete();
    },
  };
}

/** The WebAssembly backend (loads OpenCV on first use in this thread). */
export async function wasmOrbBackend(): Promise<OrbBackend> {
  const { cv } = await loadOpenCv();
  return { name: 'wasm', open: () => steps(cv) };
}
