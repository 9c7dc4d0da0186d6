import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  collectScopeDefinitions,
  collectScopeNames,
  parseIssuer,
  parseOptionalText,
  parsePage,
  parsePerPage,
  parseScopeDefinition,
  parseText,
  parseTokenLifetime,
} from './parse-flags.ts';

describe('parseIssuer', () => {
  it('adds the trailing slash an issuer always has', () => {
    expect(parseIssuer('http://localhost:4000')).toBe('http://localhost:4000/');
    expect(parseIssuer('https://auth.example.com/tenant')).toBe('https://auth.example.com/tenant/');
    expect(parseIssuer('https://auth.example.com/')).toBe('https://auth.example.com/');
  });

  it('refuses what is not an http(s) URL, or carries a query or credentials', () => {
    for (const bad of ['localhost:4000', 'ftp://x.example/', 'not a url', 'http://a/?x=1', 'http://u:p@a/']) {
      expect(() => parseIssuer(bad), bad).toThrow(InvalidArgumentError);
    }
  });
});

describe('parseScopeDefinition', () => {
  it('splits name and description at the first equals sign', () => {
    expect(parseScopeDefinition('read:contacts=Read contacts')).toEqual({
      value: 'read:contacts',
      description: 'Read contacts',
    });
    expect(parseScopeDefinition('a=b=c')).toEqual({ value: 'a', description: 'b=c' });
  });

  it('takes a bare scope with an empty description', () => {
    expect(parseScopeDefinition('write:contacts')).toEqual({ value: 'write:contacts', description: '' });
  });

  it('refuses a scope name with a space, a quote or nothing at all', () => {
    for (const bad of ['read contacts', 'say"hi"', '', '=desc', 'back\\slash']) {
      expect(() => parseScopeDefinition(bad), bad).toThrow(InvalidArgumentError);
    }
  });
});

describe('collectScopeDefinitions', () => {
  it('collects repeated flags in order', () => {
    const first = collectScopeDefinitions('read:contacts=Read');
    expect(collectScopeDefinitions('write:contacts', first)).toEqual([
      { value: 'read:contacts', description: 'Read' },
      { value: 'write:contacts', description: '' },
    ]);
  });

  it('refuses the same scope given twice', () => {
    expect(() => collectScopeDefinitions('read:x=again', collectScopeDefinitions('read:x'))).toThrow(
      /given twice/,
    );
  });
});

describe('collectScopeNames', () => {
  it('accepts repeated flags and space or comma separated lists, dropping duplicates', () => {
    const once = collectScopeNames('read:contacts write:contacts');
    expect(collectScopeNames('write:contacts,delete:contacts', once)).toEqual([
      'read:contacts',
      'write:contacts',
      'delete:contacts',
    ]);
  });

  it('refuses an empty list and invalid scope tokens', () => {
    expect(() => collectScopeNames('  ')).toThrow(InvalidArgumentError);
    expect(() => collectScopeNames('read"x')).toThrow(InvalidArgumentError);
  });

  it('starts afresh after --no-scope handed over false', () => {
    expect(collectScopeNames('a', false as unknown as string[])).toEqual(['a']);
  });
});

describe('number flags', () => {
  it('accept whole numbers within their range', () => {
    expect(parseTokenLifetime('1')).toBe(1);
    expect(parseTokenLifetime('86400')).toBe(86400);
    expect(parsePage('0')).toBe(0);
    expect(parsePerPage('100')).toBe(100);
  });

  it('refuse fractions, words, signs and values out of range', () => {
    for (const bad of ['0', '86401', '1.5', '1e3', 'ten', '', '-5', '0x10']) {
      expect(() => parseTokenLifetime(bad), bad).toThrow(InvalidArgumentError);
    }
    expect(() => parsePage('-1')).toThrow(InvalidArgumentError);
    expect(() => parsePerPage('0')).toThrow(InvalidArgumentError);
    expect(() => parsePerPage('101')).toThrow(/1 to 100/);
  });
});

describe('text flags', () => {
  it('trims and refuses empty or control-character values', () => {
    expect(parseText('  Read Service ')).toBe('Read Service');
    expect(() => parseText('   ')).toThrow(InvalidArgumentError);
    expect(() => parseText('a\u001b[31mred')).toThrow(/Control characters/);
  });

  it('lets a description be empty, to clear it', () => {
    expect(parseOptionalText('')).toBe('');
    expect(() => parseOptionalText('bell\u0007')).toThrow(InvalidArgumentError);
  });
});
