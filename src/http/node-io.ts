/**
 * Cheap access to the Node request and response under @hono/node-server.
 *
 * `c.req.header()` makes node-server build a WHATWG `Headers` from the raw
 * header list, and `c.header()` after a response exists makes Hono copy the
 * response through a ReadableStream. On the hot paths both cost more than the
 * cache lookup itself, so headers are read from Node's already-parsed
 * `incoming.headers` and response headers are set on the `ServerResponse`
 * before the handler runs. Outside node-server (in-process `app.request()`),
 * the Hono calls are used instead, with the same results.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';

/** What @hono/node-server passes as `c.env`. */
export interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

function nodeEnv(c: Context): NodeBindings | undefined {
  const env = c.env as NodeBindings | undefined;
  return env !== undefined && env !== null && typeof env === 'object' && env.incoming !== undefined ? env : undefined;
}

/** A request header (name in lower case); repeated headers are joined with ", " like `Headers.get`. */
export function requestHeader(c: Context, name: string): string | undefined {
  const env = nodeEnv(c);
  if (env?.incoming === undefined) return c.req.header(name);
  const v = env.incoming.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** The address recorded for requests that arrive without a socket (in-process dispatch, `app.request()`). */
export const IN_PROCESS_CLIENT = 'in-process';

/** The peer's address (the socket's; proxies are not trusted), or IN_PROCESS_CLIENT without a socket. */
export function clientAddress(c: Context): string {
  return nodeEnv(c)?.incoming?.socket.remoteAddress ?? IN_PROCESS_CLIENT;
}

/**
 * Sets a header on the response before it is built. Call before `await next()`;
 * the handler's own headers are added to it when the response is written.
 */
export function presetResponseHeader(c: Context, name: string, value: string): void {
  const env = nodeEnv(c);
  if (env?.outgoing !== undefined && !env.outgoing.headersSent) env.outgoing.setHeader(name, value);
  else c.header(name, value);
}

/**
 * The declared body length when the request has a Content-Length and no
 * Transfer-Encoding (node's parser rejects a request that has both with a
 * mismatch); undefined for chunked bodies.
 */
export function declaredBodyLength(c: Context): number | undefined {
  const te = requestHeader(c, 'transfer-encoding');
  const cl = requestHeader(c, 'content-length');
  if (te !== undefined || cl === undefined) return undefined;
  const n = Number(cl);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
