/**
 * IAM policies for API Gateway Lambda authorizers that stay right when API Gateway caches them.
 *
 * API Gateway caches an authorizer's answer per token (TOKEN authorizers, and REQUEST authorizers
 * whose identity source is the Authorization header) and reuses it for every route the token calls
 * until the TTL ends. So the answer for a token lists every route the token's scopes allow across
 * the whole policy, not only the route of the first request. IAM resource patterns only know `*`
 * (any characters, `/` included), so `{id}` becomes `*`, which also covers deeper paths; where such
 * an Allow would cover a route the token may not call, an explicit Deny for that route is added.
 * When a policy cannot be written exactly that way for a scope set, {@link buildTokenPolicy}
 * says so (`exact: false`) and the adapter answers for the single method ARN instead.
 *
 * Exactness holds for requests to routes of the route policy: keep API Gateway's resources and the
 * route policy in step (with a `{proxy+}` resource, a path that matches no route of the policy
 * may be admitted by a `{id}` -> `*` pattern; the back-end then sees a path it has no route for).
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
 */
import { hasAllScopes, type RouteRule } from '@gatehouse/protocol';

/** One statement of an execute-api policy document. */
export interface IamStatement {
  readonly Action: 'execute-api:Invoke';
  readonly Effect: 'Allow' | 'Deny';
  readonly Resource: string[];
}

/** One execute-api statement. */
export function statement(effect: 'Allow' | 'Deny', resources: string[]): IamStatement {
  return { Action: 'execute-api:Invoke', Effect: effect, Resource: resources };
}

/** Per-segment pattern tokens: a literal, exactly one segment, or zero or more segments. */
type Token = { readonly lit: string } | 'one' | 'any';

interface RouteShape {
  readonly rule: RouteRule;
  readonly allowed: boolean;
  /** Concrete paths the route matches, as tokens. */
  readonly paths: readonly Token[];
  /** Whether the IAM patterns cover exactly the route's paths (no `{param}` turned into `*`). */
  readonly exactGlob: boolean;
  /** IAM resource suffixes (`/contacts/*`) with the paths each matches, as tokens. */
  readonly globs: ReadonlyArray<{ readonly resource: string; readonly tokens: readonly Token[] }>;
}

/**
 * The paths an IAM resource pattern matches, as tokens. IAM's `*` matches any characters, `/`
 * included: last, it is any number of segments (none: the trailing-slash form of the same path);
 * between slashes, one or more (one empty segment makes `//`, a path the route policy refuses).
 */
function globTokens(parts: readonly string[]): Token[] {
  return parts.flatMap((part, i): Token[] => {
    if (part !== '*') return [{ lit: decodeURIComponent(part).toLowerCase() }];
    return i === parts.length - 1 ? ['any'] : ['one', 'any'];
  });
}

function routeShape(rule: RouteRule, allowed: boolean): RouteShape {
  const parts = rule.path === '/' ? [] : rule.path.split('/').slice(1);
  const rest = parts[parts.length - 1] === '*';
  const fixed = rest ? parts.slice(0, -1) : parts;
  const paths: Token[] = fixed.map((part) =>
    part.startsWith('{') ? 'one' : { lit: decodeURIComponent(part).toLowerCase() },
  );
  if (rest) paths.push('any');
  const resource = fixed.map((part) => (part.startsWith('{') ? '*' : part));
  const base = `/${resource.join('/')}`;
  const tokens = globTokens(resource);
  const globs = [{ resource: base, tokens }];
  // the same path with a trailing slash, which the route policy treats as the path without it
  if (resource.length > 0 && !base.endsWith('*')) globs.push({ resource: `${base}/`, tokens });
  if (rest)
    globs.push({ resource: base === '/' ? '/*' : `${base}/*`, tokens: globTokens([...resource, '*']) });
  return { rule, allowed, paths, exactGlob: !fixed.some((part) => part.startsWith('{')), globs };
}

/**
 * Whether some concrete path matches both token sequences (a walk over both; patterns hold at
 * most two `any` each, so the branching stays small).
 */
export function overlaps(a: readonly Token[], b: readonly Token[], i = 0, j = 0): boolean {
  const x = a[i];
  const y = b[j];
  if (x === undefined && y === undefined) return true;
  if (x === 'any' && (overlaps(a, b, i + 1, j) || (y !== undefined && overlaps(a, b, i, j + 1)))) return true;
  if (y === 'any' && (overlaps(a, b, i, j + 1) || (x !== undefined && overlaps(a, b, i + 1, j)))) return true;
  if (x === undefined || y === undefined || x === 'any' || y === 'any') return false;
  return (x === 'one' || y === 'one' || x.lit === y.lit) && overlaps(a, b, i + 1, j + 1);
}

function methodsOverlap(a: string, b: string): boolean {
  if (a === '*' || b === '*' || a === b) return true;
  return (a === 'GET' && b === 'HEAD') || (a === 'HEAD' && b === 'GET');
}

function rank(token: Token | undefined): number {
  if (token === undefined) return 3; // the path ends here: beats a trailing `*` matching nothing
  if (token === 'any') return 0;
  return token === 'one' ? 1 : 2;
}

function methodRank(method: string): number {
  return method === '*' ? 0 : method === 'GET' ? 1 : 2;
}

/** Whether `d` wins over `a` (most-specific rule) for every request both match. */
function isMoreSpecific(d: RouteShape, a: RouteShape): boolean {
  for (let i = 0; i < Math.max(d.paths.length, a.paths.length); i++) {
    const x = d.paths[i];
    const y = a.paths[i];
    const rx = rank(x);
    const ry = rank(y);
    if (rx !== ry) return rx > ry;
    if (typeof x === 'object' && typeof y === 'object' && x.lit !== y.lit) return true; // no common path
  }
  return methodRank(d.rule.method) > methodRank(a.rule.method);
}

/** Methods API Gateway routes; `*` is spelled out because IAM's `*` would also match path segments. */
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

function arnMethods(method: string): string[] {
  return method === '*' ? HTTP_METHODS : method === 'GET' ? ['GET', 'HEAD'] : [method];
}

/** A policy document for one token's scopes, and whether it is exact for every route. */
export interface TokenPolicy {
  readonly exact: boolean;
  readonly statements: readonly IamStatement[];
}

/**
 * Builds the statements allowing exactly the routes `scopes` satisfy under `base`
 * (`arn:aws:execute-api:region:account:api/stage`), with Deny statements where a `*` would reach
 * too far; `exact: false` when no such document exists for this policy and scope set.
 */
export function buildTokenPolicy(
  routes: readonly RouteRule[],
  scopes: readonly string[],
  base: string,
): TokenPolicy {
  const shapes = routes.map((rule) => routeShape(rule, hasAllScopes(scopes, rule.scopes)));
  const allowed = shapes.filter((s) => s.allowed);
  const denied = shapes.filter(
    (d) =>
      !d.allowed &&
      allowed.some(
        (a) =>
          methodsOverlap(a.rule.method, d.rule.method) && a.globs.some((g) => overlaps(g.tokens, d.paths)),
      ),
  );
  for (const d of denied) {
    for (const a of allowed) {
      if (!methodsOverlap(a.rule.method, d.rule.method)) continue;
      const hits = d.globs.some((g) => overlaps(g.tokens, a.paths));
      if (hits && !(d.exactGlob && isMoreSpecific(d, a))) return { exact: false, statements: [] };
    }
  }
  const resources = (list: RouteShape[]) =>
    list.flatMap((s) =>
      arnMethods(s.rule.method).flatMap((m) => s.globs.map((g) => `${base}/${m}${g.resource}`)),
    );
  const statements: IamStatement[] = [];
  if (denied.length > 0) statements.push(statement('Deny', resources(denied)));
  if (allowed.length > 0) {
    statements.push(statement('Allow', resources(allowed)));
  } else {
    statements.push(statement('Deny', [`${base}/*`]));
  }
  return { exact: true, statements };
}

const compiledGlobs = new Map<string, RegExp>();

function globToRegExp(pattern: string): RegExp {
  let regex = compiledGlobs.get(pattern);
  if (regex === undefined) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    regex = new RegExp(`^${body}$`);
    if (compiledGlobs.size >= 1024) compiledGlobs.clear();
    compiledGlobs.set(pattern, regex);
  }
  return regex;
}

/** Evaluates execute-api statements for one ARN as IAM does: an explicit Deny wins, then any Allow. */
export function isArnAllowed(statements: readonly IamStatement[], arn: string): boolean {
  let allow = false;
  for (const statement of statements) {
    if (!statement.Resource.some((r) => globToRegExp(r).test(arn))) continue;
    if (statement.Effect === 'Deny') return false;
    allow = true;
  }
  return allow;
}
