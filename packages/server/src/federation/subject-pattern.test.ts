import { describe, expect, it } from 'vitest';
import { describeSubjectPatternError, matchesSubject } from './subject-pattern.ts';

describe('federated credential subjects', () => {
  it('matches an exact subject only exactly', () => {
    expect(matchesSubject('repo:acme/api:ref:refs/heads/main', 'repo:acme/api:ref:refs/heads/main')).toBe(
      true,
    );
    expect(matchesSubject('repo:acme/api:ref:refs/heads/main', 'repo:acme/api:ref:refs/heads/main2')).toBe(
      false,
    );
  });

  it('matches a prefix pattern against a non-empty rest', () => {
    const pattern = 'system:serviceaccount:payments:*';
    expect(matchesSubject(pattern, 'system:serviceaccount:payments:reader')).toBe(true);
    expect(matchesSubject(pattern, 'system:serviceaccount:payments:')).toBe(false);
    expect(matchesSubject(pattern, 'system:serviceaccount:payments-x:reader')).toBe(false);
    expect(matchesSubject(pattern, 'system:serviceaccount:billing:reader')).toBe(false);
  });

  it('accepts exact subjects and prefix patterns ending in :* or /*', () => {
    for (const ok of [
      'svc',
      'system:serviceaccount:payments:*',
      'spiffe://prod.acme.test/ns/payments/*',
      'repo:acme/api:*',
    ]) {
      expect(describeSubjectPatternError(ok)).toBeUndefined();
    }
  });

  it('refuses patterns that widen beyond a fixed prefix', () => {
    expect(describeSubjectPatternError('*')).toMatch(/fixed prefix/);
    expect(describeSubjectPatternError('a:*')).toMatch(/fixed prefix/);
    expect(describeSubjectPatternError('system:serviceaccount:pay*')).toMatch(/fixed prefix/);
    expect(describeSubjectPatternError('repo:*:ref:x')).toMatch(/only as its last character/);
    expect(describeSubjectPatternError('repo:a/*/*')).toMatch(/only as its last character/);
    expect(describeSubjectPatternError('')).toMatch(/1 to 512/);
    expect(describeSubjectPatternError('a b')).toMatch(/whitespace/);
  });
});
