/**
 * An Auth0 tenant export: the JSON arrays Auth0's Management API answers for
 * `GET /api/v2/resource-servers`, `/clients` and `/client-grants`, in one file under those names.
 * Each entity keeps Auth0's many other fields (they are read past); the sections themselves are
 * checked strictly, so a misnamed section is an error rather than silently nothing imported.
 * @see https://auth0.com/docs/api/management/v2/resource-servers/get-resource-servers
 * @see https://auth0.com/docs/api/management/v2/clients/get-clients
 * @see https://auth0.com/docs/api/management/v2/client-grants/get-client-grants
 */
import { z } from 'zod';
import { ImportInputError } from './import-errors.ts';

const text = z.string({ error: 'must be a string' }).min(1, 'must not be empty');

const resourceServerSchema = z.looseObject({
  id: text.optional(),
  identifier: text,
  name: z.string({ error: 'must be a string' }).optional(),
  is_system: z.boolean({ error: 'must be true or false' }).optional(),
  scopes: z
    .array(z.looseObject({ value: text, description: z.string({ error: 'must be a string' }).optional() }), {
      error: 'must be an array of {value, description}',
    })
    .optional(),
  signing_alg: z.string({ error: 'must be a string' }).optional(),
  token_lifetime: z
    .number({ error: 'must be a number of seconds' })
    .int('must be whole seconds')
    .positive()
    .optional(),
});

const clientSchema = z.looseObject({
  client_id: text,
  name: z.string({ error: 'must be a string' }),
  description: z.string({ error: 'must be a string' }).optional(),
  app_type: z.string({ error: 'must be a string' }).optional(),
  global: z.boolean({ error: 'must be true or false' }).optional(),
  grant_types: z.array(z.string({ error: 'must be strings' }), { error: 'must be an array' }).optional(),
  token_endpoint_auth_method: z.string({ error: 'must be a string' }).nullable().optional(),
  client_metadata: z.record(z.string(), z.string({ error: 'values must be strings' })).optional(),
});

const clientGrantSchema = z.looseObject({
  id: text.optional(),
  client_id: text,
  audience: text,
  scope: z.array(z.string({ error: 'must be strings' }), { error: 'must be an array of scope names' }),
});

/** The export, as read (unknown sections refused, entities' other fields kept). */
export const auth0ExportSchema = z.strictObject(
  {
    resource_servers: z.array(resourceServerSchema, { error: 'must be an array' }).default([]),
    clients: z.array(clientSchema, { error: 'must be an array' }).default([]),
    client_grants: z.array(clientGrantSchema, { error: 'must be an array' }).default([]),
  },
  { error: 'must be a JSON object with resource_servers, clients and client_grants arrays' },
);

export type Auth0Export = z.infer<typeof auth0ExportSchema>;
export type Auth0ResourceServer = z.infer<typeof resourceServerSchema>;
export type Auth0Client = z.infer<typeof clientSchema>;
export type Auth0ClientGrant = z.infer<typeof clientGrantSchema>;

function where(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) =>
      typeof key === 'number' ? `${out}[${key}]` : out === '' ? String(key) : `${out}.${String(key)}`,
    '',
  );
}

/** Finds repeats of `key` in `items` and names the first. */
function assertUnique<T>(items: readonly T[], key: (item: T) => string, what: string): void {
  const seen = new Set<string>();
  for (const item of items) {
    const k = key(item);
    if (seen.has(k)) throw new ImportInputError(`${what} ${k} appears twice in the export`);
    seen.add(k);
  }
}

/**
 * Parses an export file's text; throws {@link ImportInputError} naming the file and, for a shape
 * error, the path of the bad value (`clients[2].client_id: must be a string`).
 */
export function parseAuth0Export(textContent: string, file: string): Auth0Export {
  let json: unknown;
  try {
    json = JSON.parse(textContent);
  } catch (error) {
    throw new ImportInputError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = auth0ExportSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return `unknown section${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')} (an export holds resource_servers, clients and client_grants)`;
      }
      const at = where(issue.path);
      return at === '' ? issue.message : `${at}: ${issue.message}`;
    });
    throw new ImportInputError(`${file} is not an Auth0 export:\n  ${problems.join('\n  ')}`);
  }
  const data = parsed.data;
  assertUnique(data.resource_servers, (rs) => rs.identifier, 'API');
  assertUnique(data.clients, (c) => c.client_id, 'client');
  assertUnique(data.client_grants, (g) => `${g.client_id} -> ${g.audience}`, 'client grant');
  return data;
}
