import { compileRoutePolicy, hasAllScopes, parseRoutePolicy, type RoutePolicy } from '@gatehouse/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildTokenPolicy, isArnAllowed, overlaps } from './iam-policy.ts';

const BASE = 'arn:aws:execute-api:eu-west-1:123456789012:api1/prod';
const LITERALS = ['a', 'b', 'c'];
const METHODS = ['GET', 'POST', 'DELETE', '*'];
const SCOPES = ['s1', 's2', 's3'];

const segment = fc.constantFrom('a', 'b', 'c', '{p}', '{q}');
const route = fc.record({
  method: fc.constantFrom(...METHODS),
  segments: fc.array(segment, { maxLength: 3 }),
  rest: fc.boolean(),
  scopes: fc.subarray(SCOPES, { maxLength: 2 }),
});

interface GeneratedRoute {
  method: string;
  segments: string[];
  rest: boolean;
  scopes: string[];
}

function toPolicy(routes: GeneratedRoute[]): RoutePolicy | null {
  const seen = new Set<string>();
  const list = [];
  for (const r of routes) {
    const names = new Set<string>();
    const segs = r.segments.filter((s: string) => !s.startsWith('{') || (!names.has(s) && names.add(s)));
    const path = `/${[...segs, ...(r.rest ? ['*'] : [])].join('/')}`;
    const shape = `${r.method} ${path.replace(/\{[a-z]\}/g, '{}')}`;
    if (seen.has(shape)) continue;
    seen.add(shape);
    list.push({ method: r.method, path, scopes: r.scopes });
  }
  return list.length === 0 ? null : parseRoutePolicy({ routes: list });
}

/** Every concrete path of up to 4 segments over the policy's literals and one other value. */
function allPaths(): string[][] {
  const alphabet = [...LITERALS, 'zz'];
  const out: string[][] = [[]];
  let frontier: string[][] = [[]];
  for (let len = 1; len <= 4; len++) {
    frontier = frontier.flatMap((p) => alphabet.map((s) => [...p, s]));
    out.push(...frontier);
  }
  return out;
}

const PATHS = allPaths();

describe('overlaps', () => {
  it('tells whether two segment patterns share a concrete path', () => {
    expect(overlaps([{ lit: 'a' }, 'one'], [{ lit: 'a' }, { lit: 'b' }])).toBe(true);
    expect(overlaps([{ lit: 'a' }, 'one'], [{ lit: 'a' }])).toBe(false);
    expect(overlaps([{ lit: 'a' }, 'one', 'any'], [{ lit: 'a' }, 'one', { lit: 'x' }])).toBe(true);
    expect(overlaps([{ lit: 'a' }, 'any'], [{ lit: 'b' }, 'any'])).toBe(false);
  });
});

describe('buildTokenPolicy', () => {
  it('agrees with the route policy on every request to a route, whenever it claims to be exact', () => {
    let exactSeen = 0;
    fc.assert(
      fc.property(fc.array(route, { minLength: 1, maxLength: 6 }), fc.subarray(SCOPES), (routes, scopes) => {
        const policy = toPolicy(routes);
        if (policy === null) return;
        const compiled = compileRoutePolicy(policy);
        const token = buildTokenPolicy(policy.routes, scopes, BASE);
        if (!token.exact) return;
        exactSeen++;
        for (const method of ['GET', 'HEAD', 'POST', 'DELETE', 'PUT', 'OPTIONS']) {
          for (const segs of PATHS) {
            const match = compiled.matchSegments(method, segs);
            if (match === null) continue; // requests to no route never reach the authorizer
            const expected = hasAllScopes(scopes, match.route.scopes);
            const arns = [`${BASE}/${method}/${segs.join('/')}`];
            if (segs.length > 0) arns.push(`${arns[0]}/`);
            for (const arn of arns) {
              if (isArnAllowed(token.statements, arn) !== expected) {
                throw new Error(`${arn}: IAM says ${!expected}, policy says ${expected}`);
              }
            }
          }
        }
      }),
      { numRuns: 250, seed: 20240501 },
    );
    expect(exactSeen).toBeGreaterThan(80);
  });

  it('is exact for the contacts policy whatever the scopes', () => {
    const policy = parseRoutePolicy({
      routes: [
        { method: 'GET', path: '/contacts', scopes: ['read:contacts'] },
        { method: 'GET', path: '/contacts/{id}', scopes: ['read:contacts'] },
        { method: 'POST', path: '/contacts', scopes: ['write:contacts'] },
        { method: 'PUT', path: '/contacts/{id}', scopes: ['write:contacts'] },
        { method: 'DELETE', path: '/contacts/{id}', scopes: ['write:contacts'] },
      ],
    });
    for (const scopes of [[], ['read:contacts'], ['write:contacts'], ['read:contacts', 'write:contacts']]) {
      expect(buildTokenPolicy(policy.routes, scopes, BASE).exact).toBe(true);
    }
  });

  it('adds a Deny where a {param} pattern would reach a deeper route the token may not call', () => {
    const policy = parseRoutePolicy({
      routes: [
        { method: 'GET', path: '/contacts/{id}', scopes: ['read'] },
        { method: 'GET', path: '/contacts/{id}/secret', scopes: ['admin'] },
      ],
    });
    const token = buildTokenPolicy(policy.routes, ['read'], BASE);
    expect(token.exact).toBe(true);
    expect(isArnAllowed(token.statements, `${BASE}/GET/contacts/1`)).toBe(true);
    expect(isArnAllowed(token.statements, `${BASE}/GET/contacts/1/secret`)).toBe(false);
  });
});
