/**
 * A one-shot raw RESP2 client for test helpers: connect, send one command,
 * parse one reply, close. No reconnects, no queues — so killing a node never
 * leaves a client retrying in the background. Not for application code.
 */
import { connect } from 'node:net';

export type RespValue = string | number | null | RespValue[];

/** A Redis error reply (`-ERR ...`). */
export class RespError extends Error {
  override name = 'RespError';
}

/** Parses one RESP2 value at `offset`; returns undefined when `buf` is incomplete. */
function parse(buf: Buffer, offset: number): { value: RespValue | RespError; next: number } | undefined {
  const eol = buf.indexOf('\r\n', offset);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[offset] ?? 0);
  const line = buf.toString('utf8', offset + 1, eol);
  const after = eol + 2;
  switch (type) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new RespError(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, next: after };
      if (buf.length < after + len + 2) return undefined;
      return { value: buf.toString('utf8', after, after + len), next: after + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: after };
      const items: RespValue[] = [];
      let pos = after;
      for (let i = 0; i < count; i++) {
        const item = parse(buf, pos);
        if (!item) return undefined;
        if (item.value instanceof RespError) return { value: item.value, next: item.next };
        items.push(item.value);
        pos = item.next;
      }
      return { value: items, next: pos };
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

/**
 * Sends one command to host:port and resolves with its reply. Rejects with
 * RespError on an error reply and with a plain Error when nothing answers.
 * @param timeoutMs connect + reply deadline. @default 1000
 */
export function redisCommand(
  host: string,
  port: number,
  args: Array<string | number>,
  timeoutMs = 1000,
): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = (err: Error | null, value?: RespValue) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      if (err) reject(err);
      else resolve(value ?? null);
    };
    sock.setTimeout(timeoutMs, () => finish(new Error(`${host}:${port} did not answer ${String(args[0])} in ${timeoutMs} ms`)));
    sock.on('error', (err) => finish(err));
    sock.on('close', () => finish(new Error(`${host}:${port} closed the connection`)));
    sock.on('connect', () => {
      const parts = args.map(String);
      let out = `*${parts.length}\r\n`;
      for (const p of parts) out += `$${Buffer.byteLength(p)}\r\n${p}\r\n`;
      sock.write(out);
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      try {
        const parsed = parse(buf, 0);
        if (!parsed) return;
        if (parsed.value instanceof RespError) finish(parsed.value);
        else finish(null, parsed.value);
      } catch (err) {
        finish(err as Error);
      }
    });
  });
}

/** Like redisCommand, but resolves undefined instead of rejecting (for polling). */
export async function tryCommand(
  host: string,
  port: number,
  args: Array<string | number>,
  timeoutMs = 500,
): Promise<RespValue | undefined> {
  try {
    return await redisCommand(host, port, args, timeoutMs);
  } catch {
    return undefined;
  }
}

/** Parses `INFO`/`CLUSTER INFO` text into fields (`role` -> `master`). */
export function parseInfo(text: RespValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof text !== 'string') return out;
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Turns a flat [k1, v1, k2, v2] reply (SENTINEL MASTER) into an object. */
export function pairsToObject(reply: RespValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}
