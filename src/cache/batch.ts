/** Splits work into chunks and runs at most `concurrency` chunks at once. */

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs `fn` over the chunks with bounded concurrency; results keep chunk order. */
export async function mapChunks<T, R>(chunks: T[][], concurrency: number, fn: (chunk: T[], index: number) => Promise<R>): Promise<R[]> {
  if (chunks.length === 1) return [await fn(chunks[0]!, 0)];
  const results = new Array<R>(chunks.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    // after one chunk fails no new chunk starts: the call has already rejected
    while (next < chunks.length && !failed) {
      const i = next++;
      try {
        results[i] = await fn(chunks[i]!, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
  return results;
}
