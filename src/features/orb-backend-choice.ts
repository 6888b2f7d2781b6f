/**
 * Which ORB backend this thread uses (orb-backend.ts): the native addon when it loads,
 * else the WebAssembly build; `FEATCACHE_ORB_BACKEND` (`native` | `wasm`) forces one.
 */
import { ErrorCodes, FeatureCacheError } from '../errors.js';
import type { OrbBackend, OrbBackendName } from './orb-backend.js';
import { nativeOrb } from './orb-native.js';
import { wasmOrbBackend } from './orb-wasm.js';

/** The environment variable that forces a backend. */
export const ORB_BACKEND_ENV = 'FEATCACHE_ORB_BACKEND';

export interface OrbBackendInfo {
  name: OrbBackendName;
  /** Why the native backend is not used (absent when it is). */
  reason?: string;
}

function forced(): OrbBackendName | undefined {
  const v = process.env[ORB_BACKEND_ENV];
  if (v === undefined || v === '') return undefined;
  if (v === 'native' || v === 'wasm') return v;
  throw new FeatureCacheError(ErrorCodes.INVALID_OPTIONS, `${ORB_BACKEND_ENV} must be native or wasm, got ${JSON.stringify(v.slice(0, 40))}`);
}

/** The backend ORB runs on in this thread, and why not native when it is not (loads the addon's check, not OpenCV's WebAssembly). */
export function orbBackendInfo(): OrbBackendInfo {
  const want = forced();
  if (want === 'wasm') return { name: 'wasm', reason: `${ORB_BACKEND_ENV}=wasm` };
  const native = nativeOrb();
  if ('backend' in native) return { name: 'native' };
  if (want === 'native') throw new FeatureCacheError(ErrorCodes.COMPUTE_FAILED, `${ORB_BACKEND_ENV}=native, but the native ORB backend ${native.reason}`);
  return { name: 'wasm', reason: `native backend ${native.reason}` };
}

/** A backend by name (measurement and tests: both give the same bytes). */
export async function orbBackendNamed(name: OrbBackendName): Promise<OrbBackend> {
  if (name === 'wasm') return wasmOrbBackend();
  const native = nativeOrb();
  if ('backend' in native) return native.backend;
  throw new FeatureCacheError(ErrorCodes.COMPUTE_FAILED, `the native ORB backend ${native.reason}`);
}

/** The backend ORB runs on in this thread (orbBackendInfo). */
export function orbBackend(): Promise<OrbBackend> {
  return orbBackendNamed(orbBackendInfo().name);
}
