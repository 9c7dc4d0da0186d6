import { describe, expect, it } from 'vitest';
import { compileRoutePolicy, parseRequestPath, parseRoutePolicy, RoutePolicyError } from './route-policy.ts';

const contacts = parseRoutePolicy({
  routes: [
    { method: 'GET', path: '/contacts', scopes: ['read:contacts'] },
    { method: 'GET', path: '/contacts/{id}', scopes: ['read:contacts'] },
    { method: 'POST', path: '/contacts', scopes: ['write:contacts'] },
    { method: 'PUT', path: '/contacts/{id}', scopes: ['write:contacts'] },
    { method: 'DELETE', path: '/contacts/{id}', scopes: ['write:contacts'] },
  ],
});

/** The scopes `match` finds, after checking that `route` (the authorizer's question) picks the same rule. */
function scopesFor(policy: ReturnType<typeof compileRoutePolicy>, method: string, target: string) {
  const result = policy.match(method, target);
  const route = policy.route(method, target);
  expect(route).toBe(
    result.ok ? result.match.route : result.reason === 'invalid-path' ? 'invalid-path' : null,
  );
  return result.ok ? result.match.route.scopes : result.reason;
}

describe('parseRoutePolicy', () => {
  it('accepts the DESIGN.md shape and normalises methods and trailing slashes', () => {
    const policy = parseRoutePolicy({
      routes: [{ method: 'get', path: '/contacts/', scopes: ['a', 'a', 'b'] }],
    });
    expect(policy.routes).toEqual([{ method: 'GET', path: '/contacts', scopes: ['a', 'b'] }]);
  });

  it.each([
    [null, 'policy: must be an object'],
    [{ routes: {} }, 'routes: must be an array'],
    [{ routes: [], extra: 1 }, 'policy: unknown field "extra"'],
    [{ routes: [{ method: 'GET', path: '/a' }] }, 'routes[0].scopes: must be an array'],
    [{ routes: [{ method: 'GE T', path: '/a', scopes: [] }] }, 'routes[0].method'],
    [{ routes: [{ method: 'GET', path: 'a', scopes: [] }] }, 'routes[0].path: must start with "/"'],
    [{ routes: [{ method: 'GET', path: '/a//b', scopes: [] }] }, 'empty segment'],
    [{ routes: [{ method: 'GET', path: '/a/*/b', scopes: [] }] }, '"*" may only be the last segment'],
    [{ routes: [{ method: 'GET', path: '/a/{id}/{id}', scopes: [] }] }, 'repeats the parameter {id}'],
    [{ routes: [{ method: 'GET', path: '/a/{id', scopes: [] }] }, 'is not a literal'],
    [{ routes: [{ method: 'GET', path: '/a/../b', scopes: [] }] }, 'is not valid'],
    [{ routes: [{ method: 'GET', path: '/a', scopes: ['bad scope'] }] }, 'routes[0].scopes[0]'],
    [
      { routes: [{ method: 'GET', path: '/a', scopes: [], extra: true }] },
      'routes[0]: unknown field "extra"',
    ],
    [
      {
        routes: [
          { method: 'GET', path: '/a/{x}', scopes: [] },
          { method: 'GET', path: '/a/{y}/', scopes: [] },
        ],
      },
      'routes[1]: duplicates routes[0]',
    ],
  ])('refuses an invalid policy with a message naming the field (%#)', (input, message) => {
    expect(() => parseRoutePolicy(input)).toThrow(RoutePolicyError);
    expect(() => parseRoutePolicy(input)).toThrow(message);
  });

  it('returns a frozen policy (routes and rules), given back as it is when parsed again', () => {
    const policy = parseRoutePolicy({ routes: [{ method: 'GET', path: '/a', scopes: ['x'] }] });
    expect(parseRoutePolicy(policy)).toBe(policy);
    for (const part of [policy, policy.routes, policy.routes[0]]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
    // a copy is checked as any input is
    const copy = { routes: [...policy.routes, { ...policy.routes[0]! }] };
    expect(() => parseRoutePolicy(copy)).toThrow('routes[1]: duplicates routes[0]');
  });

  it('prefixes errors with the source file name when given', () => {
    expect(() => parseRoutePolicy({ routes: 1 }, 'policy.json')).toThrow(
      'policy.json: routes: must be an array',
    );
  });
});

describe('parseRequestPath', () => {
  it('drops the query, the fragment and a trailing slash', () => {
    expect(parseRequestPath('/contacts/1?x=/admin#y')).toEqual(['contacts', '1']);
    expect(parseRequestPath('/contacts/')).toEqual(['contacts']);
    expect(parseRequestPath('/')).toEqual([]);
  });

  it('decodes each segment once', () => {
    expect(parseRequestPath('/caf%C3%A9/%61b')).toEqual(['café', 'ab']);
  });

  it.each([
    '/a//b',
    '//a',
    '/a/../b',
    '/a/./b',
    '/a/%2e%2e/b',
    '/a/%2E/b',
    '/a%2Fb',
    '/a%2fb',
    '/a%5Cb',
    '/a\\b',
    '/a;x=1/b',
    '/a%3Bb',
    '/a%2561',
    '/a%zz',
    '/a%4',
    '/a%C3',
    '/a%00b',
    '/a\u0000b',
    '/a b',
    '/caf\u00e9',
    'contacts',
    '*',
    'ftp://x/a',
    'http://example.com/contacts',
  ])('refuses %j, which a back-end could read as another path', (target) => {
    expect(parseRequestPath(target)).toBeNull();
  });
});

describe('compileRoutePolicy', () => {
  const compiled = compileRoutePolicy(contacts);

  it('finds the route for each method and path of the contacts API', () => {
    expect(scopesFor(compiled, 'GET', '/contacts')).toEqual(['read:contacts']);
    expect(scopesFor(compiled, 'GET', '/contacts/42?fields=name')).toEqual(['read:contacts']);
    expect(scopesFor(compiled, 'POST', '/contacts')).toEqual(['write:contacts']);
    expect(scopesFor(compiled, 'delete', '/contacts/42')).toEqual(['write:contacts']);
  });

  it('denies what no route covers', () => {
    expect(scopesFor(compiled, 'PATCH', '/contacts/42')).toBe('no-route');
    expect(scopesFor(compiled, 'GET', '/contacts/42/notes')).toBe('no-route');
    expect(scopesFor(compiled, 'GET', '/admin')).toBe('no-route');
    expect(scopesFor(compiled, 'GET', '/contacts/..%2Fadmin')).toBe('invalid-path');
  });

  it('returns the decoded path parameters', () => {
    const result = compiled.match('GET', '/contacts/a%20b');
    expect(result.ok && result.match.params).toEqual({ id: 'a b' });
  });

  it('serves HEAD with the GET route unless a HEAD route exists', () => {
    expect(scopesFor(compiled, 'HEAD', '/contacts')).toEqual(['read:contacts']);
    const withHead = compileRoutePolicy(
      parseRoutePolicy({
        routes: [
          { method: 'GET', path: '/x', scopes: ['get'] },
          { method: 'HEAD', path: '/x', scopes: ['head'] },
        ],
      }),
    );
    expect(scopesFor(withHead, 'HEAD', '/x')).toEqual(['head']);
  });

  /** A wildcard, a rest route, a parameter, a literal and a parameter before a literal, all overlapping. */
  const overlapping = [
    { method: '*', path: '/*', scopes: ['any'] },
    { method: 'GET', path: '/files/*', scopes: ['files'] },
    { method: 'GET', path: '/files/{id}', scopes: ['file'] },
    { method: 'GET', path: '/files/readme', scopes: [] },
    { method: 'GET', path: '/{x}/special', scopes: ['special'] },
  ];

  it('prefers a literal over a parameter over a wildcard, decided from the left', () => {
    const policy = compileRoutePolicy(parseRoutePolicy({ routes: overlapping }));
    expect(scopesFor(policy, 'GET', '/files/readme')).toEqual([]);
    expect(scopesFor(policy, 'GET', '/files/7')).toEqual(['file']);
    expect(scopesFor(policy, 'GET', '/files/7/raw')).toEqual(['files']);
    expect(scopesFor(policy, 'GET', '/files')).toEqual(['files']);
    expect(scopesFor(policy, 'GET', '/files/special')).toEqual(['file']);
    expect(scopesFor(policy, 'GET', '/other/special')).toEqual(['special']);
    expect(scopesFor(policy, 'DELETE', '/files/7')).toEqual(['any']);
    expect(scopesFor(policy, 'GET', '/')).toEqual(['any']);
  });

  it('prefers an exact method over "*" on the same path', () => {
    const policy = compileRoutePolicy(
      parseRoutePolicy({
        routes: [
          { method: '*', path: '/x', scopes: ['any'] },
          { method: 'DELETE', path: '/x', scopes: ['delete'] },
        ],
      }),
    );
    expect(scopesFor(policy, 'DELETE', '/x')).toEqual(['delete']);
    expect(scopesFor(policy, 'PUT', '/x')).toEqual(['any']);
  });

  it('falls back to a less specific path when the most specific one lacks the method', () => {
    const policy = compileRoutePolicy(
      parseRoutePolicy({
        routes: [
          { method: 'GET', path: '/admin/{id}', scopes: ['read'] },
          { method: '*', path: '/admin/*', scopes: ['admin'] },
        ],
      }),
    );
    expect(scopesFor(policy, 'DELETE', '/admin/1')).toEqual(['admin']);
  });

  it('matches literals case-insensitively by default so a differently cased path cannot pick a looser route', () => {
    const policy = parseRoutePolicy({
      routes: [
        { method: 'GET', path: '/admin/*', scopes: ['admin'] },
        { method: 'GET', path: '/*', scopes: ['read'] },
      ],
    });
    expect(scopesFor(compileRoutePolicy(policy), 'GET', '/ADMIN/users')).toEqual(['admin']);
    expect(scopesFor(compileRoutePolicy(policy), 'GET', '/%41dmin/users')).toEqual(['admin']);
    expect(scopesFor(compileRoutePolicy(policy, { caseSensitive: true }), 'GET', '/ADMIN/users')).toEqual([
      'read',
    ]);
  });

  it('cannot be steered to a looser route by encoding, dot segments, slashes or matrix parameters', () => {
    const policy = compileRoutePolicy(
      parseRoutePolicy({
        routes: [
          { method: 'GET', path: '/public/*', scopes: [] },
          { method: 'GET', path: '/admin/*', scopes: ['admin'] },
        ],
      }),
    );
    for (const target of [
      '/public/../admin/x',
      '/public/%2e%2e/admin/x',
      '/public%2F..%2Fadmin/x',
      '/public/..;/admin/x',
      '/public//../admin/x',
      '/public/%252e%252e/admin',
    ]) {
      expect(scopesFor(policy, 'GET', target), target).toBe('invalid-path');
    }
  });

  it('route() picks the rule match() picks for any method and path (1,000 random requests)', () => {
    const policy = compileRoutePolicy(
      parseRoutePolicy({
        routes: [
          ...overlapping,
          { method: 'HEAD', path: '/files/{id}', scopes: ['head'] },
          { method: 'PUT', path: '/files/readme', scopes: ['put'] },
          { method: 'delete', path: '/a/{b}/c/{d}', scopes: ['deep'] },
        ],
      }),
    );
    const methods = ['GET', 'HEAD', 'PUT', 'DELETE', 'delete', 'Get', 'PATCH', 'PROPFIND'];
    const parts = [
      'files',
      'FILES',
      'readme',
      'special',
      'a',
      'c',
      '7',
      '%41',
      '..',
      '%2F',
      ';x',
      '',
      'b?q=1',
      'x#f',
    ];
    let seed = 42;
    const pick = <T>(xs: readonly T[]): T => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return xs[seed % xs.length]!;
    };
    for (let n = 0; n < 1000; n++) {
      const depth = 1 + (n % 5);
      const target = `/${Array.from({ length: depth }, () => pick(parts)).join('/')}`;
      scopesFor(policy, pick(methods), target); // asserts route() against match()
    }
  });
});
