/** Closed-loop throughput of an async operation, shared by the library benchmarks. */

/**
 * Runs `op` from `workers` concurrent loops for `seconds` and returns images per
 * second (`imagesPerOp` images per call).
 */
export async function throughput(
  workers: number,
  seconds: number,
  imagesPerOp: number,
  op: (i: number) => Promise<unknown>,
  /** Told how many images were processed in all (e.g. for CPU time per image). */
  onImages?: (images: number) => void,
): Promise<number> {
  let done = 0;
  let counter = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        await op(counter++);
        done += imagesPerOp;
      }
    }),
  );
  onImages?.(done);
  return done / ((performance.now() - start) / 1000);
}
