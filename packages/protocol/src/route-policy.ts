/**
 * Route policy: which scopes each method + path of an API needs. Pure: no I/O, no dependencies.
 *
 * Shape (DESIGN.md): `{"routes": [{"method": "GET", "path": "/contacts/{id}", "scopes": ["read:contacts"]}]}`.
 * - `method` is an HTTP method (case-insensitive, stored upper case) or `*` for any method. A `HEAD`
 *   request uses a `GET` route when no `HEAD` route matches, as web frameworks serve HEAD with GET.
 * - `path` segments are literals, `{name}` (exactly one non-empty segment) or, as the last segment
 *   only, `*` (any rest, including nothing: `/files/*` matches `/files` and `/files/a/b`).
 * - A route needs all of its scopes; an empty list means any valid token. A request that matches no
 *   route is denied.
 *
 * Most specific match wins, decided by the path first, segment by segment from the left: a literal
 * beats `{param}`, which beats `*`; among routes with the same path, an exact method beats `GET`
 * standing in for `HEAD`, which beats `*`. When the most specific path has no route for the method,
 * the next most specific path is tried.
 *
 * Literal segments compare case-insensitively by default, so a back-end that routes without regard
 * to case (Express's default) cannot be reached under a differently cased path that a looser route
 * matches; pass `caseSensitive: true` to compare exactly.
 *
 * Request paths are normalised so that what is matched is what a back-end can route to: the query
 * and fragment are dropped; each segment is
 * percent-decoded once; a trailing slash is ignored. Paths a back-end could read differently are
 * refused, never guessed at: empty segments (`//`), `.` and `..` (raw or encoded), an encoded `/`,
 * `\` or `%` (double encoding), `;` (matrix parameters), control characters, raw non-ASCII and
 * malformed percent-escapes.
 * @see https://www.rfc-editor.org/rfc/rfc3986#section-3.3
 */

import { isScopeToken } from './scopes.ts';

/** One route: the method and path pattern it covers and the scopes it needs (all of them). */
export interface RouteRule {
  readonly method: string;
  readonly path: string;
  readonly scopes: readonly string[];
}

/** A validated route policy, as given in code, a JSON file or on a resource server. */
export interface RoutePolicy {
  readonly routes: readonly RouteRule[];
}

/** Raised when a route policy is not valid; `at` names the offending field (`routes[2].path`). */
export class RoutePolicyError extends Error {
  readonly code = 'ERR_ROUTE_POLICY_INVALID';
  readonly at: string;
  constructor(at: string, problem: string) {
    super(`${at}: ${problem}`);
    this.name = 'RoutePolicyError';
    this.at = at;
  }
}

/** Most routes one policy may hold; a larger policy is refused rather than slowing every request. */
export const MAX_ROUTES = 2000;
const MAX_PATH_LENGTH = 2048;
const MAX_REQUEST_PATH_LENGTH = 8192;
const MAX_SCOPES_PER_ROUTE = 64;
const METHOD = /^[A-Za-z][A-Za-z-]{0,31}$/;
const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]{0,63})\}$/;
const ROUTE_KEYS = new Set(['method', 'path', 'scopes']);

type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'wildcard' };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The policies {@link parseRoutePolicy} returned (the policy, its routes and each route frozen, so
 * the methods and paths stay as checked), each with the case-folding trie it built to refuse
 * duplicates: parsing one again returns it as it is, and {@link compileRoutePolicy} with the
 * default case folding matches with that trie rather than building it again (an authorizer
 * validates a policy when it reads it, then compiles it).
 */
const parsed = new WeakMap<RoutePolicy, TrieNode>();

/**
 * Validates untrusted input (parsed JSON, or an object written in code) into a route policy,
 * normalising methods to upper case, dropping repeated scopes and a trailing slash. Throws
 * {@link RoutePolicyError} naming the first problem found; `source` (a file name) prefixes it.
 * The policy returned is frozen (but for its scope lists), and is returned as it is when given again.
 */
export function parseRoutePolicy(input: unknown, source?: string): RoutePolicy {
  if (parsed.has(input as RoutePolicy)) return input as RoutePolicy;
  const prefix = source === undefined ? '' : `${source}: `;
  if (!isPlainObject(input)) throw new RoutePolicyError(`${prefix}policy`, 'must be an object with "routes"');
  for (const key of Object.keys(input)) {
    if (key !== 'routes') throw new RoutePolicyError(`${prefix}policy`, `unknown field "${safe(key)}"`);
  }
  const routes = input.routes;
  if (!Array.isArray(routes)) throw new RoutePolicyError(`${prefix}routes`, 'must be an array');
  if (routes.length > MAX_ROUTES)
    throw new RoutePolicyError(`${prefix}routes`, `more than ${MAX_ROUTES} routes`);
  const policy: RoutePolicy = Object.freeze({
    routes: Object.freeze(
      routes.map((raw: unknown, i: number) => parseRouteRule(raw, `${prefix}routes[${i}]`)),
    ),
  });
  parsed.set(policy, buildTrie(policy, true, prefix)); // refuses duplicates
  return policy;
}

function parseRouteRule(raw: unknown, at: string): RouteRule {
  if (!isPlainObject(raw)) throw new RoutePolicyError(at, 'must be {method, path, scopes}');
  for (const key of Object.keys(raw)) {
    if (!ROUTE_KEYS.has(key)) throw new RoutePolicyError(at, `unknown field "${safe(key)}"`);
  }
  const { method, path, scopes } = raw;
  if (typeof method !== 'string' || (method !== '*' && !METHOD.test(method))) {
    throw new RoutePolicyError(`${at}.method`, 'must be an HTTP method or "*"');
  }
  if (typeof path !== 'string') throw new RoutePolicyError(`${at}.path`, 'must be a string');
  parsePattern(path, `${at}.path`);
  if (!Array.isArray(scopes)) throw new RoutePolicyError(`${at}.scopes`, 'must be an array');
  if (scopes.length > MAX_SCOPES_PER_ROUTE) {
    throw new RoutePolicyError(`${at}.scopes`, `more than ${MAX_SCOPES_PER_ROUTE} scopes`);
  }
  const list: string[] = [];
  scopes.forEach((scope: unknown, j: number) => {
    if (typeof scope !== 'string' || !isScopeToken(scope)) {
      throw new RoutePolicyError(`${at}.scopes[${j}]`, 'must be a scope token (RFC 6749)');
    }
    if (!list.includes(scope)) list.push(scope);
  });
  const normalised = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  // frozen, as the trie built from it must stay right; the scope list is left unfrozen, as V8 walks a
  // frozen array ~2.5x slower and every request walks it (hasAllScopes)
  return Object.freeze({ method: method.toUpperCase(), path: normalised, scopes: list });
}

function parsePattern(path: string, at: string): Segment[] {
  if (!path.startsWith('/')) throw new RoutePolicyError(at, 'must start with "/"');
  if (path.length > MAX_PATH_LENGTH)
    throw new RoutePolicyError(at, `longer than ${MAX_PATH_LENGTH} characters`);
  const parts = path.split('/').slice(1);
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 1 && parts[0] === '') return [];
  const names = new Set<string>();
  return parts.map((part, i): Segment => {
    if (part === '') throw new RoutePolicyError(at, 'has an empty segment');
    if (part === '*') {
      if (i !== parts.length - 1) throw new RoutePolicyError(at, '"*" may only be the last segment');
      return { kind: 'wildcard' };
    }
    const param = PARAM.exec(part);
    if (param) {
      const name = param[1]!;
      if (names.has(name)) throw new RoutePolicyError(at, `repeats the parameter {${name}}`);
      names.add(name);
      return { kind: 'param', name };
    }
    if (/[{}*?#]/.test(part)) {
      throw new RoutePolicyError(at, `segment "${safe(part)}" is not a literal, {name} or last *`);
    }
    const value = decodeSegment(part);
    if (value === null) throw new RoutePolicyError(at, `segment "${safe(part)}" is not valid`);
    return { kind: 'literal', value };
  });
}

/** Keeps typo-supplied text in messages short and printable. */
function safe(text: string): string {
  return JSON.stringify(text.slice(0, 40)).slice(1, -1);
}

function isHex(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

/**
 * Checks one raw path segment and decodes it once; null when it is not acceptable (see the module
 * comment for what is refused and why).
 */
function decodeSegment(raw: string): string | null {
  let hasPercent = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    // control characters, space, `"`, `\`, `;`, DEL and anything not ASCII
    if (c <= 0x20 || c === 0x22 || c === 0x5c || c === 0x3b || c >= 0x7f) return null;
    if (c === 0x25) {
      if (!isHex(raw.charCodeAt(i + 1)) || !isHex(raw.charCodeAt(i + 2))) return null;
      hasPercent = true;
    }
  }
  let value = raw;
  if (hasPercent) {
    try {
      value = decodeURIComponent(raw);
    } catch {
      return null;
    }
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c < 0x20 || c === 0x7f || c === 0x2f || c === 0x5c || c === 0x25 || c === 0x3b) return null;
    }
  }
  if (value === '.' || value === '..') return null;
  return value;
}

/**
 * Normalises a request target (origin form: a path with an optional query) into decoded path
 * segments; null when the path is refused (see the module comment).
 */
export function parseRequestPath(target: string): string[] | null {
  let end = target.length;
  const q = target.indexOf('?');
  if (q !== -1) end = q;
  const h = target.indexOf('#');
  if (h !== -1 && h < end) end = h;
  if (target.charCodeAt(0) !== 0x2f || end > MAX_REQUEST_PATH_LENGTH) return null;
  const segments: string[] = [];
  let from = 1;
  while (from <= end) {
    let to = target.indexOf('/', from);
    if (to === -1 || to > end) to = end;
    const raw = target.slice(from, to);
    if (raw === '') {
      // only a trailing slash (or the root "/") may leave an empty segment
      if (to !== end) return null;
      break;
    }
    const segment = decodeSegment(raw);
    if (segment === null) return null;
    segments.push(segment);
    from = to + 1;
  }
  return segments;
}

/** A route a request matched, with the `{name}` values taken from the path (decoded). */
export interface RouteMatch {
  readonly route: RouteRule;
  readonly params: Readonly<Record<string, string>>;
}

/** Outcome of matching: the route, or why none applies (`invalid-path` is a 400, `no-route` a deny). */
export type RouteMatchResult =
  | { ok: true; match: RouteMatch }
  | { ok: false; reason: 'invalid-path' | 'no-route' };

/** A policy prepared for fast matching; build it once with {@link compileRoutePolicy}. */
export interface CompiledRoutePolicy {
  readonly policy: RoutePolicy;
  /** Matches a method and a raw request target (path and query) against the policy. */
  match(method: string, target: string): RouteMatchResult;
  /** Matches already-normalised segments, as {@link parseRequestPath} returns them. */
  matchSegments(method: string, segments: readonly string[]): RouteMatch | null;
  /**
   * The rule {@link match} picks, without taking the `{name}` values out of the path (what an
   * authorizer asks on every request): the rule, null when none matches, or `'invalid-path'`.
   */
  route(method: string, target: string): RouteRule | null | 'invalid-path';
}

/** Options of {@link compileRoutePolicy}. */
export interface CompileRoutePolicyOptions {
  /** Compare literal path segments exactly instead of ignoring ASCII case (default false). */
  readonly caseSensitive?: boolean;
}

interface CompiledRoute {
  readonly rule: RouteRule;
  readonly paramNames: readonly string[];
  readonly index: number;
}

interface TrieNode {
  literals: Map<string, TrieNode> | null;
  param: TrieNode | null;
  /** routes ending here, by method (`*` for any) */
  end: Map<string, CompiledRoute> | null;
  /** routes whose trailing `*` starts here, by method */
  rest: Map<string, CompiledRoute> | null;
}

function createNode(): TrieNode {
  return { literals: null, param: null, end: null, rest: null };
}

/** A request method in upper case; the common ones arrive so already (no new string). */
function upperMethod(method: string): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'POST':
    case 'PUT':
    case 'PATCH':
    case 'DELETE':
    case 'OPTIONS':
      return method;
    default:
      return method.toUpperCase();
  }
}

function pickMethod(table: Map<string, CompiledRoute> | null, method: string): CompiledRoute | undefined {
  if (table === null) return undefined;
  return table.get(method) ?? (method === 'HEAD' ? table.get('GET') : undefined) ?? table.get('*');
}

/** Builds the matching trie; refuses two routes with the same method and path shape. */
function buildTrie(policy: RoutePolicy, foldCase: boolean, prefix = ''): TrieNode {
  const root = createNode();
  policy.routes.forEach((rule, i) => {
    const segments = parsePattern(rule.path, `${prefix}routes[${i}].path`);
    const paramNames: string[] = [];
    let node = root;
    let table: 'end' | 'rest' = 'end';
    for (const segment of segments) {
      if (segment.kind === 'literal') {
        node.literals ??= new Map();
        const key = foldCase ? segment.value.toLowerCase() : segment.value;
        let next = node.literals.get(key);
        if (!next) {
          next = createNode();
          node.literals.set(key, next);
        }
        node = next;
      } else if (segment.kind === 'param') {
        paramNames.push(segment.name);
        node.param ??= createNode();
        node = node.param;
      } else {
        table = 'rest';
      }
    }
    const method = rule.method.toUpperCase();
    const map = node[table] ?? new Map<string, CompiledRoute>();
    node[table] = map;
    const first = map.get(method);
    if (first) throw new RoutePolicyError(`${prefix}routes[${i}]`, `duplicates routes[${first.index}]`);
    map.set(method, { rule, paramNames, index: i });
  });
  return root;
}

/** Builds the matcher for a policy (validate it first with {@link parseRoutePolicy}). */
export function compileRoutePolicy(
  policy: RoutePolicy,
  options: CompileRoutePolicyOptions = {},
): CompiledRoutePolicy {
  const foldCase = options.caseSensitive !== true;
  const root = (foldCase ? parsed.get(policy) : undefined) ?? buildTrie(policy, foldCase);

  const find = (
    node: TrieNode,
    segs: readonly string[],
    i: number,
    method: string,
    values: string[] | null,
  ): CompiledRoute | undefined => {
    if (i === segs.length) {
      return pickMethod(node.end, method) ?? pickMethod(node.rest, method);
    }
    const seg = segs[i]!;
    if (node.literals !== null) {
      const next = node.literals.get(foldCase ? seg.toLowerCase() : seg);
      if (next) {
        const found = find(next, segs, i + 1, method, values);
        if (found) return found;
      }
    }
    if (node.param !== null) {
      values?.push(seg);
      const found = find(node.param, segs, i + 1, method, values);
      if (found) return found;
      values?.pop();
    }
    return pickMethod(node.rest, method);
  };

  const matchSegments = (method: string, segments: readonly string[]): RouteMatch | null => {
    const values: string[] = [];
    const found = find(root, segments, 0, upperMethod(method), values);
    if (!found) return null;
    const params: Record<string, string> = {};
    found.paramNames.forEach((name, i) => {
      params[name] = values[i]!;
    });
    return { route: found.rule, params };
  };

  return {
    policy,
    matchSegments,
    route(method, target) {
      const segments = parseRequestPath(target);
      if (segments === null) return 'invalid-path';
      return find(root, segments, 0, upperMethod(method), null)?.rule ?? null;
    },
    match(method, target) {
      const segments = parseRequestPath(target);
      if (segments === null) return { ok: false, reason: 'invalid-path' };
      const match = matchSegments(method, segments);
      return match ? { ok: true, match } : { ok: false, reason: 'no-route' };
    },
  };
}
