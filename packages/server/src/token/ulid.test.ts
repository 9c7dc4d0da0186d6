import { describe, expect, it } from 'vitest';
import { createUlid, decodeUlidTime } from './ulid.ts';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe('ULID jti', () => {
  it('puts the time in the first 10 characters and decodes it back to the millisecond', () => {
    for (const t of [0, 1, 1_700_000_000_123, 1_795_617_163_999, 2 ** 48 - 1]) {
      const id = createUlid(t);
      expect(id).toMatch(ULID);
      expect(decodeUlidTime(id)).toBe(t);
    }
    expect(createUlid(0).slice(0, 10)).toBe('0000000000');
    expect(createUlid(2 ** 48 - 1).slice(0, 10)).toBe('7ZZZZZZZZZ');
  });

  it('matches the spec example time encoding', () => {
    // ulid/spec: 1469918176385 encodes as 01ARYZ6S41.
    expect(createUlid(1469918176385).slice(0, 10)).toBe('01ARYZ6S41');
  });

  it('sorts by time and never repeats across pool refills', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => createUlid(1_700_000_000_000 + i));
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
    const sameMs = new Set(Array.from({ length: 500 }, () => createUlid(5)));
    expect(sameMs.size).toBe(500);
  });

  it('spreads the random part over the whole alphabet', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++)
      for (const ch of createUlid(1).slice(10)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(32);
    // 64,000 characters, 2,000 expected each.
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(1700);
      expect(n).toBeLessThan(2300);
    }
  });

  it('decodes lower case and refuses what is not a ULID', () => {
    const id = createUlid(1_700_000_000_000);
    expect(decodeUlidTime(id.toLowerCase())).toBe(1_700_000_000_000);
    for (const bad of [
      '',
      'x',
      `${id}0`,
      id.slice(1),
      `U${id.slice(1)}`,
      '8ZZZZZZZZZZZZZZZZZZZZZZZZZ',
      randomUuidLike(),
    ]) {
      expect(decodeUlidTime(bad), bad).toBeUndefined();
    }
  });

  it('refuses a time it cannot encode', () => {
    expect(() => createUlid(-1)).toThrow(RangeError);
    expect(() => createUlid(2 ** 48)).toThrow(RangeError);
    expect(() => createUlid(1.5)).toThrow(RangeError);
  });
});

function randomUuidLike(): string {
  return '0b6e4c1a-8f1e-4c7b-9a55-6a4f1f0e2d3c';
}
