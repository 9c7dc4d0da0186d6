import { describe, expect, it } from 'vitest';
import { formatScope, hasAllScopes, isScopeToken, parseScope } from './scopes.ts';

describe('scopes', () => {
  it('splits on spaces, drops repeats and keeps first-seen order', () => {
    expect(parseScope('  read:contacts write:contacts read:contacts ')).toEqual([
      'read:contacts',
      'write:contacts',
    ]);
  });
  it('refuses tokens with characters RFC 6749 excludes', () => {
    expect(parseScope('read:contacts "x"')).toBeNull();
    expect(parseScope('a\\b')).toBeNull();
    expect(parseScope('tab\there')).toBeNull();
    expect(isScopeToken('x'.repeat(257))).toBe(false);
  });
  it('matches scopes exactly, never by prefix', () => {
    expect(hasAllScopes(['read:contacts2'], ['read:contacts'])).toBe(false);
    expect(hasAllScopes(['read:contact'], ['read:contacts'])).toBe(false);
    expect(hasAllScopes(['read:contacts', 'write:contacts'], ['read:contacts'])).toBe(true);
    expect(formatScope(['a', 'b'])).toBe('a b');
  });
});
