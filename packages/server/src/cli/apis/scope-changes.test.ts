import { describe, expect, it } from 'vitest';
import { CliUsageError } from '../errors.ts';
import { applyScopeChanges, hasScopeChanges } from './scope-changes.ts';

const current = [
  { value: 'read:contacts', description: 'Read contacts' },
  { value: 'write:contacts', description: '' },
];

describe('applyScopeChanges', () => {
  it('adds a new scope at the end and keeps the others', () => {
    expect(
      applyScopeChanges(current, { add: [{ value: 'delete:contacts', description: 'Delete' }] }),
    ).toEqual([...current, { value: 'delete:contacts', description: 'Delete' }]);
  });

  it('re-describes an existing scope instead of adding it twice, unless no description was given', () => {
    const next = applyScopeChanges(current, {
      add: [
        { value: 'write:contacts', description: 'Change contacts' },
        { value: 'read:contacts', description: '' },
      ],
    });
    expect(next).toEqual([
      { value: 'read:contacts', description: 'Read contacts' },
      { value: 'write:contacts', description: 'Change contacts' },
    ]);
  });

  it('removes a scope, and refuses to remove one the API lacks', () => {
    expect(applyScopeChanges(current, { remove: ['read:contacts'] })).toEqual([current[1]]);
    expect(() => applyScopeChanges(current, { remove: ['nope'] })).toThrow(CliUsageError);
  });

  it('replaces the whole list, then applies adds and removes to it', () => {
    const next = applyScopeChanges(current, {
      replace: [{ value: 'a', description: '' }],
      add: [{ value: 'b', description: '' }],
      remove: ['a'],
    });
    expect(next).toEqual([{ value: 'b', description: '' }]);
  });

  it('does not change the list it was given', () => {
    const copy = structuredClone(current);
    applyScopeChanges(current, {
      add: [{ value: 'write:contacts', description: 'x' }],
      remove: ['read:contacts'],
    });
    expect(current).toEqual(copy);
  });
});

describe('hasScopeChanges', () => {
  it('is true for any scope flag, including replacing with an empty list', () => {
    expect(hasScopeChanges({})).toBe(false);
    expect(hasScopeChanges({ add: [], remove: [] })).toBe(false);
    expect(hasScopeChanges({ replace: [] })).toBe(true);
    expect(hasScopeChanges({ remove: ['x'] })).toBe(true);
  });
});
