/**
 * Parses the body of the OAuth endpoints (token, revocation, introspection) into parameters: `application/x-www-form-urlencoded` (the
 * standard) or `application/json` (Auth0 style). Hand-written form parsing: it is the hot path,
 * and unlike `URLSearchParams` it refuses malformed percent-encoding instead of guessing.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
import { InvalidRequest } from '../http/errors.ts';

/**
 * Parameters of a request to an OAuth endpoint (token, revocation, introspection); `resource` may
 * repeat (RFC 8707), every other one may not. Each endpoint reads the ones it knows.
 */
export interface TokenParameters {
  grant_type?: string;
  client_id?: string;
  client_secret?: string;
  client_assertion?: string;
  client_assertion_type?: string;
  audience?: string;
  resource?: string[];
  scope?: string;
  /** Revocation (RFC 7009) and introspection (RFC 7662): the token in question. */
  token?: string;
  token_type_hint?: string;
}

type SingleName = Exclude<keyof TokenParameters, 'resource'>;

/** Longest value accepted per parameter; longer values are refused, never truncated. */
const MAX_LENGTH: Readonly<Record<keyof TokenParameters, number>> = {
  grant_type: 128,
  client_id: 128,
  client_secret: 512,
  client_assertion: 8192,
  client_assertion_type: 128,
  audience: 600,
  resource: 600,
  scope: 4096,
  token: 8192,
  token_type_hint: 128,
};

/** Whether `name` is a parameter the endpoint reads; anything else is ignored (RFC 6749 section 3.2). */
function isKnown(name: string): name is keyof TokenParameters {
  return Object.hasOwn(MAX_LENGTH, name);
}

function assign(params: TokenParameters, name: string, value: string): void {
  // "Parameters sent without a value MUST be treated as if they were omitted" (RFC 6749 section 3.1).
  if (value === '' || !isKnown(name)) return;
  if (value.length > MAX_LENGTH[name]) {
    throw new InvalidRequest(`${name} is longer than ${MAX_LENGTH[name]} characters`);
  }
  if (name === 'resource') {
    if (params.resource === undefined) params.resource = [value];
    else if (params.resource.length < 8) params.resource.push(value);
    else throw new InvalidRequest('resource is repeated too often');
    return;
  }
  if (params[name] !== undefined) throw new InvalidRequest(`${name} is repeated`);
  params[name as SingleName] = value;
}

function decodeComponent(raw: string): string {
  const spaced = raw.includes('+') ? raw.replaceAll('+', ' ') : raw;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    throw new InvalidRequest('the form body has malformed percent-encoding');
  }
}

/**
 * Parses a form-encoded body.
 * @see https://url.spec.whatwg.org/#application/x-www-form-urlencoded
 */
export function parseFormParameters(body: string): TokenParameters {
  const params: TokenParameters = {};
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf('&', start);
    if (end === -1) end = body.length;
    if (end > start) {
      const eq = body.indexOf('=', start);
      const hasValue = eq !== -1 && eq < end;
      const name = decodeComponent(body.slice(start, hasValue ? eq : end));
      const value = hasValue ? decodeComponent(body.slice(eq + 1, end)) : '';
      assign(params, name, value);
    }
    start = end + 1;
  }
  return params;
}

/** Parses a JSON body: an object whose known members are strings (`resource` may be an array of strings). */
export function parseJsonParameters(body: string): TokenParameters {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidRequest('the body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidRequest('the JSON body must be an object');
  }
  const params: TokenParameters = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (!isKnown(name)) continue;
    if (name === 'resource' && Array.isArray(value)) {
      for (const v of value) {
        if (typeof v !== 'string')
          throw new InvalidRequest('resource must be a string or an array of strings');
        assign(params, name, v);
      }
      continue;
    }
    if (typeof value !== 'string') throw new InvalidRequest(`${name} must be a string`);
    assign(params, name, value);
  }
  return params;
}
