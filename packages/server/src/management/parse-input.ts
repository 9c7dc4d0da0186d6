/**
 * Parsing of untrusted Management API input (body, query string, path) with zod, into a 400 in
 * Auth0's shape whose message names the offending field.
 */
import type { HonoRequest } from 'hono';
import type { z } from 'zod';
import { readJsonBody } from '../http/body.ts';
import { BadRequest } from '../http/errors.ts';

/** One line naming the first problem of a zod error, e.g. `unknown field 'foo'` or `token_lifetime: too big`. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid input';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `'${k.slice(0, 64)}'`).join(', ');
    const where = issue.path.length > 0 ? ` in ${issue.path.join('.')}` : '';
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}${where}`;
  }
  const where = issue.path.length > 0 ? issue.path.join('.').slice(0, 120) : 'body';
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined'))
    return `${where}: is required`;
  if (issue.code === 'invalid_key' && issue.issues[0] !== undefined)
    return `${where}: ${issue.issues[0].message}`;
  return `${where}: ${issue.message}`;
}

/** Parses `value` with `schema`; 400 `invalid_body` naming the field otherwise. */
export function parseBody<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new BadRequest('invalid_body', `Payload validation error: ${describeIssue(result.error)}`);
  return result.data;
}

/** Reads a JSON body (size-limited, `application/json` only) and parses it with `schema`. */
export async function readBody<S extends z.ZodType>(req: HonoRequest, schema: S): Promise<z.output<S>> {
  return parseBody(schema, await readJsonBody(req));
}

/** Parses the query string with `schema`; a repeated parameter or an unknown one is a 400 `invalid_query_string`. */
export function parseQuery<S extends z.ZodType>(req: HonoRequest, schema: S): z.output<S> {
  const raw: Record<string, string> = {};
  const all = req.queries();
  for (const [name, values] of Object.entries(all)) {
    if (values.length > 1)
      throw new BadRequest(
        'invalid_query_string',
        `Query validation error: '${name.slice(0, 64)}' is repeated`,
      );
    raw[name] = values[0] ?? '';
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new BadRequest('invalid_query_string', `Query validation error: ${describeIssue(result.error)}`);
  }
  return result.data;
}

/** Returns a path parameter when it matches `pattern`; 400 `invalid_uri` naming it otherwise. */
export function parsePathParam(req: HonoRequest, name: string, pattern: RegExp, what: string): string {
  const value = req.param(name);
  if (value === undefined || !pattern.test(value)) {
    throw new BadRequest('invalid_uri', `Path validation error: ${name} must be ${what}`);
  }
  return value;
}
