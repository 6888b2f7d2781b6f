/** Dashboard session tokens (src/http/ui/session.ts): bound to a configured key, expiring, unforgeable. */
import { describe, expect, it } from 'vitest';
import type { ApiKey } from '../../src/config.js';
import { createSessions, SESSION_SECONDS } from '../../src/http/ui/session.js';

const read: ApiKey = { key: 'read-key-0123456789', scope: 'read' };
const write: ApiKey = { key: 'write-key-0123456789', scope: 'write' };

describe('dashboard sessions', () => {
  const sessions = createSessions([read, write]);

  it('finds the configured key a sign-in presents, and nothing else', () => {
    expect(sessions.keyOf(write.key)).toBe(write);
    expect(sessions.keyOf(read.key)).toBe(read);
    expect(sessions.keyOf('read-key-012345678')).toBeUndefined();
    expect(sessions.keyOf('')).toBeUndefined();
  });

  it('a token stands for its key and scope until it expires, and does not contain the key', () => {
    const now = Date.UTC(2026, 11, 3, 12);
    const token = sessions.issue(write, now);
    expect(token).not.toContain(write.key);
    expect(sessions.verify(token, now)).toEqual({ key: write.key, scope: 'write' });
    expect(sessions.verify(token, now + (SESSION_SECONDS - 1) * 1000)?.scope).toBe('write');
    expect(sessions.verify(token, now + SESSION_SECONDS * 1000)).toBeUndefined();
  });

  it('refuses forged, altered and malformed tokens, and tokens of a key no longer configured', () => {
    const now = Date.now();
    const token = sessions.issue(read, now);
    const [exp, nonce, mac] = token.split('.') as [string, string, string];
    // a later expiry or another nonce breaks the MAC; so does a flipped MAC character
    expect(sessions.verify(`${Number(exp) + 3600}.${nonce}.${mac}`, now)).toBeUndefined();
    expect(sessions.verify(`${exp}.${'A'.repeat(22)}.${mac}`, now)).toBeUndefined();
    expect(sessions.verify(`${exp}.${nonce}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`, now)).toBeUndefined();
    for (const bad of [undefined, '', 'x', `${token}.x`, token.replace(/\./g, '-')]) expect(sessions.verify(bad, now)).toBeUndefined();
    // another service (or this one after the key was removed) does not accept it
    expect(createSessions([write]).verify(token, now)).toBeUndefined();
    expect(createSessions([{ ...read, scope: 'read' }]).verify(token, now)).toEqual({ key: read.key, scope: 'read' });
  });
});
