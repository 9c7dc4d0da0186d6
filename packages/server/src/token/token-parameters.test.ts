import { describe, expect, it } from 'vitest';
import { InvalidRequest } from '../http/errors.ts';
import { parseFormParameters, parseJsonParameters } from './token-parameters.ts';

describe('parseFormParameters', () => {
  it('decodes percent-encoding and + as space', () => {
    expect(
      parseFormParameters(
        'grant_type=client_credentials&scope=read%3Ax+write%3Ax&audience=https%3A%2F%2Fa%2F',
      ),
    ).toEqual({
      grant_type: 'client_credentials',
      scope: 'read:x write:x',
      audience: 'https://a/',
    });
  });

  it('ignores unknown parameters and treats empty values as omitted', () => {
    expect(parseFormParameters('foo=bar&scope=&&grant_type=client_credentials&flag')).toEqual({
      grant_type: 'client_credentials',
    });
  });

  it('collects repeated resource parameters and refuses other repeats', () => {
    expect(parseFormParameters('resource=https%3A%2F%2Fa%2F&resource=https%3A%2F%2Fb%2F').resource).toEqual([
      'https://a/',
      'https://b/',
    ]);
    expect(() => parseFormParameters('scope=a&scope=b')).toThrow(InvalidRequest);
    expect(() => parseFormParameters('scope=a&scope=b')).toThrow('scope is repeated');
  });

  it('refuses malformed percent-encoding and over-long values', () => {
    expect(() => parseFormParameters('audience=%E0%A4%A')).toThrow(InvalidRequest);
    expect(() => parseFormParameters(`client_secret=${'a'.repeat(513)}`)).toThrow(
      'client_secret is longer than 512 characters',
    );
  });

  it('does not let a parameter named __proto__ or constructor through', () => {
    const params = parseFormParameters('__proto__=x&constructor=y&grant_type=client_credentials');
    expect(params).toEqual({ grant_type: 'client_credentials' });
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
  });
});

describe('parseJsonParameters', () => {
  it('reads string members and a resource array', () => {
    expect(
      parseJsonParameters('{"grant_type":"client_credentials","resource":["https://a/"],"other":{"x":1}}'),
    ).toEqual({
      grant_type: 'client_credentials',
      resource: ['https://a/'],
    });
  });

  it('refuses non-objects and non-string members', () => {
    for (const body of [
      '[]',
      'null',
      '1',
      '"x"',
      '{"scope":["a"]}',
      '{"client_id":1}',
      '{"resource":[1]}',
      '{',
    ]) {
      expect(() => parseJsonParameters(body), body).toThrow(InvalidRequest);
    }
  });
});
