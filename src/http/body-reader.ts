/**
 * Reading a JSON or msgpack request body into one buffer while a BodyScanner
 * (src/http/body-scan.ts) checks each chunk as it arrives. A refused body is
 * answered at once: the rest of it is drained and discarded, never decoded.
 *
 * Bodies up to SCAN_AFTER_READ_BYTES take node-server's direct read and are
 * scanned once, whole (the hot path: a 100-record batch). Larger ones are read
 * chunk by chunk, from the Node request when there is one (a Content-Length
 * body; the app's body limit already checked its length) or from the web
 * stream (chunked bodies, where Hono's bodyLimit wraps the stream).
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import type { BodyScanner } from './body-scan.js';
import { declaredBodyLength, type NodeBindings } from './node-io.js';

/** Bodies up to this size are read whole, then scanned. */
const SCAN_AFTER_READ_BYTES = 1024 * 1024;

/** Reads the request body, feeding each chunk to `scanner`; resolves to the whole body. */
export async function readScanned(c: Context, scanner: BodyScanner): Promise<Buffer> {
  const declared = declaredBodyLength(c);
  const incoming = (c.env as NodeBindings | undefined)?.incoming;
  if (declared !== undefined && declared <= SCAN_AFTER_READ_BYTES) {
    const whole = Buffer.from(await c.req.arrayBuffer());
    scanner.feed(whole, whole.length, true);
    return whole;
  }
  if (declared !== undefined && incoming !== undefined && !incoming.readableDidRead) {
    return readNode(incoming, declared, scanner);
  }
  return readWeb(c.req.raw.body, scanner);
}

/** One growing buffer (doubling) that chunks are copied into. */
class Accumulator {
  buf: Buffer;
  end = 0;
  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
  }
  push(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.end + chunk.length));
      this.buf.copy(grown, 0, 0, this.end);
      this.buf = grown;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }
  result(): Buffer {
    return this.buf.subarray(0, this.end);
  }
}

function readNode(incoming: IncomingMessage, declared: number, scanner: BodyScanner): Promise<Buffer> {
  const acc = new Accumulator(declared);
  return new Promise<Buffer>((resolve, reject) => {
    const done = (err?: unknown): void => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', done);
      incoming.off('aborted', onAborted);
      if (err === undefined) return resolve(acc.result());
      incoming.resume(); // drain and discard the rest; the answer goes out now
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a non-Error failure is named by its text, whatever it is
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const onData = (chunk: Buffer): void => {
      acc.push(chunk);
      try {
        scanner.feed(acc.buf, acc.end, false);
      } catch (err) {
        done(err);
      }
    };
    const onEnd = (): void => {
      try {
        scanner.feed(acc.buf, acc.end, true);
        done();
      } catch (err) {
        done(err);
      }
    };
    const onAborted = (): void => done(new Error('Client connection prematurely closed.'));
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', done);
    incoming.on('aborted', onAborted);
  });
}

async function readWeb(body: ReadableStream<Uint8Array> | null, scanner: BodyScanner): Promise<Buffer> {
  const acc = new Accumulator(64 * 1024);
  if (body !== null) {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      acc.push(value);
      try {
        scanner.feed(acc.buf, acc.end, false);
      } catch (err) {
        await reader.cancel().catch(() => {});
        throw err;
      }
    }
  }
  scanner.feed(acc.buf, acc.end, true);
  return acc.result();
}
