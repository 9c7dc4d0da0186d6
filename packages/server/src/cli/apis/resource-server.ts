/**
 * An API (Auth0: resource server) as the Management API answers it, parsed for display, and its
 * table and detail views.
 * @see https://auth0.com/docs/api/management/v2/resource-servers/get-resource-servers-by-id
 */
import { z } from 'zod';
import { CliResponseError } from '../errors.ts';
import { formatRecord } from '../output/record.ts';
import { type Column, formatTable, indent } from '../output/table.ts';

const ScopeSchema = z.looseObject({ value: z.string(), description: z.string().optional() });

const ResourceServerSchema = z.looseObject({
  id: z.string(),
  identifier: z.string(),
  name: z.string().optional(),
  scopes: z.array(ScopeSchema).optional(),
  signing_alg: z.string().optional(),
  token_lifetime: z.number().optional(),
  is_system: z.boolean().optional(),
});

/** A resource server answer; unknown members are kept. */
export type ResourceServer = z.infer<typeof ResourceServerSchema>;

/** Parses one resource server from an answer; throws `CliResponseError` when it is not one. */
export function parseResourceServer(json: unknown): ResourceServer {
  const parsed = ResourceServerSchema.safeParse(json);
  if (!parsed.success)
    throw new CliResponseError('the server answered something that is not an API (resource server)');
  return parsed.data;
}

const COLUMNS: Column<ResourceServer>[] = [
  { header: 'id', value: (api) => api.id },
  { header: 'identifier', value: (api) => api.identifier },
  { header: 'name', value: (api) => api.name, maxWidth: 32 },
  { header: 'scopes', value: (api) => (api.scopes ?? []).map((scope) => scope.value), maxWidth: 48 },
  { header: 'alg', value: (api) => api.signing_alg },
  { header: 'lifetime', value: (api) => api.token_lifetime, align: 'right' },
];

/** The `apis list` table. */
export function formatResourceServerTable(apis: readonly ResourceServer[]): string {
  return formatTable(COLUMNS, apis);
}

/** The `apis get|create|update` view: fields, then the scopes with their descriptions. */
export function formatResourceServerDetails(api: ResourceServer): string {
  const fields = formatRecord(api, {
    first: ['id', 'identifier', 'name', 'signing_alg', 'token_lifetime', 'is_system'],
    omit: ['scopes'],
  });
  const scopes = api.scopes ?? [];
  if (scopes.length === 0) return `${fields}\n\nScopes: none`;
  const table = formatTable(
    [
      { header: 'scope', value: (scope: z.infer<typeof ScopeSchema>) => scope.value },
      {
        header: 'description',
        value: (scope: z.infer<typeof ScopeSchema>) => scope.description,
        maxWidth: 80,
      },
    ],
    scopes,
  );
  return `${fields}\n\nScopes:\n${indent(table)}`;
}
