/**
 * Parsers for flag values: each takes the raw string from the command line and returns a typed
 * value or throws commander's `InvalidArgumentError`, which commander reports as
 * `error: option '--x <value>' argument 'y' is invalid. <reason>` and exits with code 2.
 */
import { isScopeToken, MAX_SCOPE_TOKEN_LENGTH } from '@gatehouse/protocol';
import { InvalidArgumentError } from 'commander';

/** A scope an API defines, as the Management API takes it. */
export interface ScopeDefinition {
  value: string;
  description: string;
}

/** Signing algorithms an API may use (DESIGN.md). */
export const SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

/** Longest token lifetime an API or grant may have, in seconds (DESIGN.md). */
export const MAX_TOKEN_LIFETIME = 86_400;

/** Highest page number the Management API accepts. */
export const MAX_PAGE = 100_000;

/** Largest page the Management API serves (Auth0's limit). */
export const MAX_PER_PAGE = 100;

function assertScopeToken(value: string): void {
  if (!isScopeToken(value)) {
    throw new InvalidArgumentError(
      `A scope is 1 to ${MAX_SCOPE_TOKEN_LENGTH} printable ASCII characters without spaces, quotes or backslashes.`,
    );
  }
}

/**
 * Parses a server URL into the issuer form the server uses: `http(s)://host[:port]/path/`, always
 * ending in `/`.
 */
export function parseIssuer(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new InvalidArgumentError('Expected an http:// or https:// URL, e.g. http://localhost:4000/.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError('Expected an http:// or https:// URL, e.g. http://localhost:4000/.');
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new InvalidArgumentError('The issuer URL takes no query, fragment or credentials.');
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/**
 * Parses `value[=description]` (e.g. `read:contacts="Read contacts"`) into a scope definition,
 * the description empty when absent.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function parseScopeDefinition(text: string): ScopeDefinition {
  const at = text.indexOf('=');
  const value = (at === -1 ? text : text.slice(0, at)).trim();
  const description = at === -1 ? '' : text.slice(at + 1).trim();
  assertScopeToken(value);
  return { value, description };
}

/** Collects repeated `--scope value[=description]` flags, refusing the same scope twice. */
export function collectScopeDefinitions(text: string, previous: ScopeDefinition[] = []): ScopeDefinition[] {
  const scope = parseScopeDefinition(text);
  if (previous.some((known) => known.value === scope.value)) {
    throw new InvalidArgumentError(`Scope ${scope.value} is given twice.`);
  }
  return [...previous, scope];
}

/**
 * Collects scope names from repeated flags, each of which may hold several separated by spaces or
 * commas (`--scope read:contacts --scope "write:contacts delete:contacts"`); duplicates dropped.
 */
export function collectScopeNames(text: string, previous: string[] = []): string[] {
  const values = text.split(/[\s,]+/).filter((value) => value !== '');
  if (values.length === 0) throw new InvalidArgumentError('Expected at least one scope.');
  // After `--no-scope`, commander hands over `false` as the previous value.
  const out = Array.isArray(previous) ? [...previous] : [];
  for (const value of values) {
    assertScopeToken(value);
    if (!out.includes(value)) out.push(value);
  }
  return out;
}

function parseInteger(text: string, min: number, max: number, unit = ''): number {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (!/^-?\d+$/.test(trimmed) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}${unit}.`);
  }
  return value;
}

/** Parses a token lifetime in seconds, 1 to 86400. */
export function parseTokenLifetime(text: string): number {
  return parseInteger(text, 1, MAX_TOKEN_LIFETIME, ' (seconds)');
}

/** Parses a page number; pages count from 0 as in Auth0's Management API. */
export function parsePage(text: string): number {
  return parseInteger(text, 0, MAX_PAGE);
}

/** Parses a page size, 1 to 100. */
export function parsePerPage(text: string): number {
  return parseInteger(text, 1, MAX_PER_PAGE);
}

/** Parses a required free-text value (a name, an id): trimmed, not empty, no control characters. */
export function parseText(text: string): string {
  const value = text.trim();
  if (value === '') throw new InvalidArgumentError('Expected a non-empty value.');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value))
    throw new InvalidArgumentError('Control characters are not allowed.');
  return value;
}

/** Parses an optional free-text value that may be empty (a description). */
export function parseOptionalText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) {
    throw new InvalidArgumentError('Control characters are not allowed.');
  }
  return text.trim();
}
