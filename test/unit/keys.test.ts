import { describe, expect, it } from 'vitest';
import { KeySchema } from '../../src/redis/keys.js';

describe('key schema', () => {
  const keys = new KeySchema('fc', '1.0', false);

  it('gives records the short untagged key and bookkeeping keys an @ tag', () => {
    expect(keys.record('user_000001_img_000042')).toBe('fc:1.0:user_000001_img_000042');
    expect(keys.record('user_000001_img_000042').length).toBeLessThanOrEqual(30); // 136 B per seed record, not 152
    expect(keys.group('g')).toBe('fc:@g:1.0:g');
    expect(keys.stats).toBe('fc:@stats');
    expect(keys.lock('a')).toBe('fc:@l:1.0:a');
    expect(keys.countFor(0)).toBe('fc:@n:1.0');
    expect(keys.indexPrefix).toBe('fc:@x:1.0:');
  });

  it('parses records of any version and nothing else, whatever the image ID holds', () => {
    expect(keys.parseRecordKey('fc:2.0:a:b@c')).toEqual({ version: '2.0', imageId: 'a:b@c' });
    expect(keys.parseRecordKey('fc:1.0:')).toEqual({ version: '1.0', imageId: '' });
    for (const k of [keys.group('x'), keys.stats, keys.leader, keys.lock('x'), keys.countFor(0), `${keys.indexPrefix}f:meta`, 'fcx:1.0:a', 'other:1.0:a', 'fc:1.0']) {
      expect(keys.parseRecordKey(k), k).toBeNull();
    }
  });

  it('parses counters apart from records', () => {
    expect(keys.parseCounterKey('fc:@n:2.0')).toBe('2.0');
    expect(new KeySchema('fc', '1.0', true).countFor(5)).toMatch(/^fc:@n:1\.0:\{.+\}$/);
    expect(keys.parseCounterKey(keys.record('n'))).toBeNull();
    expect(keys.allCountersPattern()).toBe('fc:@n:*');
  });
});
