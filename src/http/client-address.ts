/**
 * Who sent a request: the socket's peer, or — when that peer is a proxy listed
 * in FEATCACHE_TRUSTED_PROXIES — the address that proxy put in X-Forwarded-For.
 *
 * Proxies append the peer they saw to the right of X-Forwarded-For, so the list
 * is read right to left, skipping trusted proxies: the first other entry is the
 * client. Entries left of it were written by the client itself and prove
 * nothing. A request from an untrusted peer keeps the peer's address whatever
 * its headers say (the wrong-key throttle must not be dodged with a header).
 */
import { BlockList, isIP } from 'node:net';
import type { Context } from 'hono';
import { clientAddress, requestHeader } from './node-io.js';

/** One trusted proxy: an address, or a subnet `address/prefix`. */
export interface TrustedProxy {
  address: string;
  prefix?: number;
}

/** Longest X-Forwarded-For entry kept as a client key (an IPv6 address with zone fits). */
const MAX_ENTRY = 64;

/** Parses `10.0.0.5` or `10.0.0.0/8` / `fd00::/8`; undefined when it is neither. */
export function parseTrustedProxy(text: string): TrustedProxy | undefined {
  const [address = '', prefixText, extra] = text.trim().split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return undefined;
  if (prefixText === undefined) return { address };
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  return prefix >= 0 && prefix <= (family === 4 ? 32 : 128) ? { address, prefix } : undefined;
}

/** The request's client address, given the trusted proxies (none: the socket's peer). */
export function clientAddressResolver(trusted: readonly TrustedProxy[]): (c: Context) => string {
  if (trusted.length === 0) return clientAddress;
  const list = new BlockList();
  for (const t of trusted) {
    const type = isIP(t.address) === 4 ? 'ipv4' : 'ipv6';
    if (t.prefix === undefined) list.addAddress(t.address, type);
    else list.addSubnet(t.address, t.prefix, type);
  }
  const isTrusted = (address: string): boolean => {
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
  return (c) => {
    const peer = clientAddress(c);
    if (!isTrusted(peer)) return peer;
    const hops = (requestHeader(c, 'x-forwarded-for') ?? '').split(',').map((h) => h.trim()).filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (!isTrusted(hop)) return hop.slice(0, MAX_ENTRY);
    }
    // every hop is a trusted proxy (or there is no header): the leftmost one sent it
    return hops[0] ?? peer;
  };
}
