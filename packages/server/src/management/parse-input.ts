/**
 * Parsing of untrusted Management API input (body, query string, path) with zod, into a 400 in
 * Auth0's shape whose message names the offending field.
 */
import type { HonoRequest } from 'hono';
import type { z } from 'zod';
import {
  hasForeignCharset,
  MAX_MANAGEMENT_BODY_BYTES,
  parseMediaType,
  readBodyText,
  readJsonBody,
} from '../http/body.ts';
import { BadRequest, BodyError } from '../http/errors.ts';

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

/**
 * Like `readBody`, for operations whose body is optional (Auth0 sends none to `rotate-secret`): no
 * body at all, or an empty one, parses as `{}`.
 */
export async function readOptionalBody<S extends z.ZodType>(
  req: HonoRequest,
  schema: S,
): Promise<z.output<S>> {
  const length = req.header('content-length');
  const hasBody = req.header('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
  if (!hasBody) return parseBody(schema, {});
  const text = await readBodyText(req, MAX_MANAGEMENT_BODY_BYTES);
  if (text.trim() === '') return parseBody(schema, {});
  const contentType = req.header('content-type');
  const type = parseMediaType(contentType);
  if (type === undefined || !(type === 'application/json' || type.endsWith('+json'))) {
    throw new BodyError('unsupported_media_type', 'the body must be application/json');
  }
  if (contentType !== undefined && hasForeignCharset(contentType)) {
    throw new BodyError('unsupported_media_type', 'the body must be encoded in UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BodyError('malformed', 'the body is not valid JSON');
  }
  return parseBody(schema, value);
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
