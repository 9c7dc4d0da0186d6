import { describe, expect, it } from 'vitest';
import { createTestUlid } from '../testing/test-ulid.ts';
import { readIssuedAtMs } from './issued-at.ts';

describe('readIssuedAtMs', () => {
  it('reads the issue time to the millisecond from a ULID jti that agrees with iat', () => {
    const ms = 1_795_617_163_123;
    expect(readIssuedAtMs({ jti: createTestUlid(ms), iat: 1_795_617_163 })).toBe(ms);
    expect(readIssuedAtMs({ jti: createTestUlid(ms).toLowerCase(), iat: 1_795_617_163 })).toBe(ms);
  });

  it('falls back to iat * 1000 for a jti that is not a ULID of this token', () => {
    expect(readIssuedAtMs({ jti: '5b1e8a52-8f1f-4a38-9a7b-0a1d2e3f4a5b', iat: 1_700_000_000 })).toBe(
      1_700_000_000_000,
    );
    // 26 characters outside Crockford's alphabet, and a ULID of another second
    expect(readIssuedAtMs({ jti: 'U'.repeat(26), iat: 1_700_000_000 })).toBe(1_700_000_000_000);
    expect(readIssuedAtMs({ jti: createTestUlid(1_700_000_005_500), iat: 1_700_000_000 })).toBe(
      1_700_000_000_000,
    );
  });

  it('has no issue time without a numeric iat', () => {
    expect(readIssuedAtMs({ jti: createTestUlid(1_700_000_000_000) })).toBeUndefined();
    expect(readIssuedAtMs({ iat: '1700000000' })).toBeUndefined();
  });
});
