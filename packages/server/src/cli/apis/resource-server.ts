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

const RouteSchema = z.looseObject({
  method: z.string(),
  path: z.string(),
  scopes: z.array(z.string()),
});
type Route = z.infer<typeof RouteSchema>;

const ResourceServerSchema = z.looseObject({
  id: z.string(),
  identifier: z.string(),
  name: z.string().optional(),
  scopes: z.array(ScopeSchema).optional(),
  signing_alg: z.string().optional(),
  token_lifetime: z.number().optional(),
  routes: z.array(RouteSchema).nullable().optional(),
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

/** The `apis get|create|update` view: fields, the scopes with their descriptions, then the route policy. */
export function formatResourceServerDetails(api: ResourceServer): string {
  const fields = formatRecord(api, {
    first: ['id', 'identifier', 'name', 'signing_alg', 'token_lifetime', 'is_system'],
    omit: ['scopes', 'routes'],
  });
  const scopes = api.scopes ?? [];
  const scopeText =
    scopes.length === 0
      ? 'Scopes: none'
      : `Scopes:\n${indent(
          formatTable(
            [
              { header: 'scope', value: (scope: z.infer<typeof ScopeSchema>) => scope.value },
              {
                header: 'description',
                value: (scope: z.infer<typeof ScopeSchema>) => scope.description,
                maxWidth: 80,
              },
            ],
            scopes,
          ),
        )}`;
  return `${fields}\n\n${scopeText}\n\n${formatRoutes(api.routes)}`;
}

/** The route policy section: a table, or a line saying there is none. */
function formatRoutes(routes: readonly Route[] | null | undefined): string {
  if (routes === undefined) return 'Routes: -';
  if (routes === null) return 'Routes: none (authorizers following this API deny every route)';
  if (routes.length === 0) return 'Routes: an empty policy (every route is denied)';
  const table = formatTable(
    [
      { header: 'method', value: (r: Route) => r.method },
      { header: 'path', value: (r: Route) => r.path, maxWidth: 80 },
      { header: 'scopes', value: (r: Route) => (r.scopes.length === 0 ? '(any valid token)' : r.scopes) },
    ],
    routes,
  );
  return `Routes:\n${indent(table)}`;
}
