/**
 * Route policy flags of `apis create|update`: `--route "GET /contacts/{id} read:contacts"`
 * (repeatable) and `--routes-file policy.json` (DESIGN.md's `{"routes": [...]}`, or a bare list).
 * Both are checked with `@gatehouse/protocol`'s parser before anything is sent, so a typo is a
 * usage error naming the route, not a round trip.
 */
import { readFile } from 'node:fs/promises';
import { parseRoutePolicy, RoutePolicyError, type RouteRule } from '@gatehouse/protocol';
import { InvalidArgumentError } from 'commander';
import { CliUsageError } from '../errors.ts';

/** A route as the Management API takes it. */
export interface RouteFlag {
  method: string;
  path: string;
  scopes: string[];
}

const toFlag = (r: RouteRule): RouteFlag => ({ method: r.method, path: r.path, scopes: [...r.scopes] });

/**
 * Parses `METHOD PATH [SCOPE ...]` (scopes separated by spaces or commas; none: any valid token)
 * into a route, checked like the server checks it.
 */
export function parseRouteFlag(text: string): RouteFlag {
  const [method, path, ...rest] = text.trim().split(/\s+/);
  if (method === undefined || method === '' || path === undefined) {
    throw new InvalidArgumentError(
      'Expected "METHOD PATH [SCOPE ...]", e.g. "GET /contacts/{id} read:contacts".',
    );
  }
  const scopes = rest.flatMap((part) => part.split(',')).filter((s) => s !== '');
  try {
    return toFlag(parseRoutePolicy({ routes: [{ method, path, scopes }] }).routes[0]!);
  } catch (err) {
    if (err instanceof RoutePolicyError)
      throw new InvalidArgumentError(`${err.message.replace(/^routes\[0\]\./, '')}.`);
    throw err;
  }
}

/** Collects repeated `--route` flags. */
export function collectRouteFlags(text: string, previous: RouteFlag[] = []): RouteFlag[] {
  return [...previous, parseRouteFlag(text)];
}

/** Checks a whole list (repeated `--route` flags may collide): the normalised routes, or a usage error. */
export function assertRoutePolicy(routes: readonly RouteFlag[], source: string): RouteFlag[] {
  try {
    return parseRoutePolicy({ routes }, source).routes.map(toFlag);
  } catch (err) {
    if (err instanceof RoutePolicyError) throw new CliUsageError(err.message);
    throw err;
  }
}

/** Reads a policy file: `{"routes": [...]}` or a bare list of routes. */
export async function readRoutesFile(file: string): Promise<RouteFlag[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliUsageError(`--routes-file ${file}: cannot read it (${code ?? 'error'})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliUsageError(`--routes-file ${file}: not valid JSON`);
  }
  const policy = Array.isArray(value) ? { routes: value } : value;
  try {
    return parseRoutePolicy(policy, file).routes.map(toFlag);
  } catch (err) {
    if (err instanceof RoutePolicyError) throw new CliUsageError(`--routes-file ${err.message}`);
    throw err;
  }
}
