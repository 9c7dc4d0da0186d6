/**
 * Resource server (API) bodies and answers of the Management API, Auth0 shape, plus gatehouse's
 * `routes`: the API's live route policy (DESIGN.md), validated by `@gatehouse/protocol`'s parser,
 * the same one authorizers run, so a policy the server accepts is one every authorizer accepts.
 */
import { MAX_ROUTES, parseRoutePolicy, RoutePolicyError } from '@gatehouse/protocol';
import { z } from 'zod';
import type { ResourceServerRecord, RouteRule } from '../store/store.ts';
import {
  apiIdentifierSchema,
  descriptionSchema,
  MAX_SCOPES,
  nameSchema,
  scopeTokenSchema,
  signingAlgSchema,
  tokenLifetimeSchema,
} from './field-schemas.ts';

const scopeDefinitionSchema = z.strictObject({
  value: scopeTokenSchema,
  description: descriptionSchema(500).optional(),
});

const scopeDefinitionsSchema = z
  .array(scopeDefinitionSchema)
  .max(MAX_SCOPES, `must hold at most ${MAX_SCOPES} scopes`)
  .refine((list) => new Set(list.map((s) => s.value)).size === list.length, 'must not define a scope twice');

const routeRuleSchema = z.strictObject({
  method: z.string().describe('An HTTP method (any case, stored upper case) or `*` for any method'),
  path: z
    .string()
    .describe('`/segment/{param}/…`: `{name}` matches one segment, a trailing `*` any rest (including none)'),
  scopes: z
    .array(z.string())
    .describe('Scopes the route needs, all of them; each must be a scope of the API'),
});

/**
 * An API's route policy: a list of routes, or null for none. Normalised as authorizers read it
 * (methods upper case, repeated scopes dropped); duplicates and malformed patterns are refused.
 */
export const routesSchema = z
  .array(routeRuleSchema)
  .max(MAX_ROUTES, `must hold at most ${MAX_ROUTES} routes`)
  .nullable()
  .transform((routes, ctx): RouteRule[] | null => {
    if (routes === null) return null;
    try {
      return parseRoutePolicy({ routes }).routes.map((r) => ({
        method: r.method,
        path: r.path,
        scopes: [...r.scopes],
      }));
    } catch (err) {
      if (!(err instanceof RoutePolicyError)) throw err;
      // `routes[2].scopes[0]: problem` -> path [2, 'scopes', 0], message `problem`.
      const path = [...err.at.matchAll(/\[(\d+)\]|\.(\w+)/g)].map((m) =>
        m[1] !== undefined ? Number(m[1]) : m[2]!,
      );
      ctx.addIssue({ code: 'custom', message: err.message.slice(err.at.length + 2), path });
      return z.NEVER;
    }
  });

/** `POST /api/v2/resource-servers`. */
export const createResourceServerSchema = z.strictObject({
  identifier: apiIdentifierSchema,
  name: nameSchema(200).optional(),
  scopes: scopeDefinitionsSchema.optional(),
  signing_alg: signingAlgSchema.optional(),
  token_lifetime: tokenLifetimeSchema.optional(),
  routes: routesSchema.optional(),
});

/** `PATCH /api/v2/resource-servers/{id}`; the identifier is immutable; `routes: null` removes the policy. */
export const updateResourceServerSchema = z.strictObject({
  name: nameSchema(200).optional(),
  scopes: scopeDefinitionsSchema.optional(),
  signing_alg: signingAlgSchema.optional(),
  token_lifetime: tokenLifetimeSchema.optional(),
  routes: routesSchema.optional(),
});

/** The first route scope the API does not define, as `routes[i].scopes: …`, or undefined when all are defined. */
export function findUndefinedRouteScope(
  routes: readonly RouteRule[] | null,
  scopes: readonly { value: string }[],
): string | undefined {
  for (const [i, route] of (routes ?? []).entries()) {
    const missing = route.scopes.find((s) => !scopes.some((d) => d.value === s));
    if (missing !== undefined) {
      return `routes[${i}].scopes: ${missing.slice(0, 100)} is not a scope of this API`;
    }
  }
  return undefined;
}

/** A resource server as the Management API answers it. */
export const resourceServerResponseSchema = z.object({
  id: z.string(),
  identifier: z.string(),
  name: z.string(),
  scopes: z.array(z.object({ value: z.string(), description: z.string() })),
  signing_alg: signingAlgSchema,
  token_lifetime: z.number().int(),
  routes: z
    .array(z.object({ method: z.string(), path: z.string(), scopes: z.array(z.string()) }))
    .nullable()
    .describe('Live route policy (gatehouse extension); null when the API carries none'),
  is_system: z.boolean(),
});

export type ResourceServerResponse = z.infer<typeof resourceServerResponseSchema>;

/** Serializes a stored resource server. */
export function toResourceServerResponse(rs: ResourceServerRecord): ResourceServerResponse {
  return {
    id: rs.id,
    identifier: rs.identifier,
    name: rs.name,
    scopes: rs.scopes.map((s) => ({ value: s.value, description: s.description })),
    signing_alg: rs.signingAlg,
    token_lifetime: rs.tokenLifetime,
    routes: rs.routes === null ? null : rs.routes.map((r) => ({ ...r, scopes: [...r.scopes] })),
    is_system: rs.isSystem,
  };
}
