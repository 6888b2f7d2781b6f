/** mulberry32, the seeded PRNG of the library (src/provenance/prng.ts), for benches and tests. */
export { mulberry32 } from '../../src/provenance/prng.js';
