import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStrictJsonObject } from './strict-json.ts';

describe('parseStrictJsonObject', () => {
  it('parses a JSON object', () => {
    expect(parseStrictJsonObject('{"a":1,"b":{"c":[{"d":":x"}]}}')).toEqual({
      a: 1,
      b: { c: [{ d: ':x' }] },
    });
  });

  it.each([
    '{"a":":x","b":1}',
    '{"a":"x :y","b":"\\":"}',
    '{"iss":"https://a.example/","scope":"read:contacts write:contacts"}',
  ])('accepts %s, whose colons inside strings the fast count cannot tell from names', (text) => {
    expect(parseStrictJsonObject(text)).toEqual(JSON.parse(text));
  });

  it.each([
    '{"a":1,"a":2}',
    '{"a" :1,"a":2}',
    '{"a":1 , "a" : 2}',
    '{"a":":","a":1}',
    '{"a":"b :c","a":1}',
    '{"a":"\\":","a":1}',
    '{"a":{"b":1,"b":1}}',
    '{"a":[{"b":1,"\\u0062":2}]}',
    '{"x\\":":1,"x\\":":2}',
    '{"__proto__":{"admin":true}}',
    '{"a":{"__proto__":1}}',
    '[1]',
    '"a"',
    'null',
    '{"a":1',
    `${'{"a":'.repeat(20)}1${'}'.repeat(20)}`,
  ])('refuses %s', (text) => {
    expect(parseStrictJsonObject(text)).toBeNull();
  });

  it('accepts whatever JSON.stringify makes of an object, and refuses any duplicate member added to it', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { minKeys: 1 }),
        fc.boolean(),
        (obj, spaced) => {
          const text = JSON.stringify(obj, null, spaced ? 1 : undefined);
          if (text.includes('"__proto__"')) return;
          expect(parseStrictJsonObject(text)).toEqual(JSON.parse(text));
          const first = Object.keys(obj)[0]!;
          const duplicated = `${text.slice(0, -1)},${JSON.stringify(first)}${spaced ? ' : ' : ':'}0}`;
          expect(parseStrictJsonObject(duplicated)).toBeNull();
        },
      ),
      { numRuns: 300 },
    );
  });
});
