/**
 * Records as a stream, for `featcache get | export | import`: JSON Lines (one
 * record per line, the HTTP API's record shape; typed arrays become number
 * arrays) or msgpack (one map per record, back to back; typed arrays keep their
 * type through the API's ext codes, so an export -> import round trip is exact;
 * written by the HTTP response encoder, so -0 stays -0 as it does over HTTP).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { decodeMultiStream } from '@msgpack/msgpack';
import { recordOut } from '../http/negotiate.js';
import { typedArrayCodec } from '../http/msgpack.js';
import { MsgpackEncoder } from '../http/msgpack-encoder.js';
import type { RecordSource, SourcedRecord } from '../sources.js';
import type { Features } from '../types.js';
import { UsageError } from './usage.js';

export type StreamFormat = 'jsonl' | 'msgpack';

/** `--format`: jsonl (default) or msgpack. */
export function streamFormat(value: string | undefined): StreamFormat {
  const f = value ?? 'jsonl';
  if (f !== 'jsonl' && f !== 'msgpack') throw new UsageError(`--format must be jsonl or msgpack, got ${JSON.stringify(value)}`);
  return f;
}

/** A record as a stream item reads it back. */
export interface StreamRecord {
  imageId: string;
  features: Features;
  source?: RecordSource;
}

/** Writes records to a file (or stdout for `-`/absent), waiting for the sink when it is full. */
export function recordWriter(format: StreamFormat, path?: string) {
  const out: Writable = path === undefined || path === '-' ? process.stdout : createWriteStream(path);
  const encoder = new MsgpackEncoder();
  return {
    async write(r: SourcedRecord): Promise<void> {
      const item = recordOut(r, format === 'msgpack');
      const chunk = format === 'msgpack' ? encoder.encode(item) : `${JSON.stringify(item)}\n`;
      if (!out.write(chunk)) await once(out, 'drain');
    },
    async close(): Promise<void> {
      if (out === process.stdout) return;
      out.end();
      await once(out, 'finish');
    },
  };
}

/** Reads records from a file (or stdin for `-`/absent); a malformed item fails with its line or item number. */
export async function* readRecords(format: StreamFormat, path?: string): AsyncGenerator<StreamRecord> {
  const input: Readable = path === undefined || path === '-' ? process.stdin : createReadStream(path);
  let n = 0;
  if (format === 'jsonl') {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      n++;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        throw new Error(`line ${n}: not JSON (${(err as Error).message})`);
      }
      yield toStreamRecord(value, `line ${n}`);
    }
    return;
  }
  for await (const value of decodeMultiStream(input, { extensionCodec: typedArrayCodec, useBigInt64: true })) {
    n++;
    yield toStreamRecord(value, `item ${n}`);
  }
}

function toStreamRecord(value: unknown, where: string): StreamRecord {
  const v = value as { image_id?: unknown; features?: unknown; source?: unknown } | null;
  if (v === null || typeof v !== 'object' || typeof v.image_id !== 'string' || v.features === null || typeof v.features !== 'object') {
    throw new Error(`${where}: expected a record { image_id, features, ... }`);
  }
  const source = v.source === 'stored' || v.source === 'extracted' ? v.source : undefined;
  return { imageId: v.image_id, features: v.features as Features, ...(source ? { source } : {}) };
}
