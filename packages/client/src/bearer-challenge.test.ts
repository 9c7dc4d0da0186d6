import { describe, expect, it } from 'vitest';
import { isInvalidTokenChallenge } from './bearer-challenge.ts';

describe('WWW-Authenticate invalid_token detection', () => {
  it('finds error="invalid_token" in a Bearer challenge, quoted or not, among others', () => {
    expect(isInvalidTokenChallenge('Bearer error="invalid_token"')).toBe(true);
    expect(
      isInvalidTokenChallenge('Bearer realm="gatehouse", error="invalid_token", error_description="expired"'),
    ).toBe(true);
    expect(isInvalidTokenChallenge('Basic realm="x", Bearer error=invalid_token')).toBe(true);
    expect(isInvalidTokenChallenge('bearer ERROR="invalid_token"')).toBe(true);
  });

  it('ignores a bare challenge, other errors and other schemes', () => {
    expect(isInvalidTokenChallenge(null)).toBe(false);
    expect(isInvalidTokenChallenge('Bearer')).toBe(false);
    expect(isInvalidTokenChallenge('Bearer realm="gatehouse"')).toBe(false);
    expect(isInvalidTokenChallenge('Bearer error="insufficient_scope"')).toBe(false);
    expect(isInvalidTokenChallenge('Basic error="invalid_token"')).toBe(false);
  });
});
