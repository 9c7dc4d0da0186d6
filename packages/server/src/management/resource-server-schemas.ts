/** Resource server (API) bodies and answers of the Management API, Auth0 shape. */
import { z } from 'zod';
import type { ResourceServerRecord } from '../store/store.ts';
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

/** `POST /api/v2/resource-servers`. */
export const createResourceServerSchema = z.strictObject({
  identifier: apiIdentifierSchema,
  name: nameSchema(200).optional(),
  scopes: scopeDefinitionsSchema.optional(),
  signing_alg: signingAlgSchema.optional(),
  token_lifetime: tokenLifetimeSchema.optional(),
});

/** `PATCH /api/v2/resource-servers/{id}`; the identifier is immutable. */
export const updateResourceServerSchema = z.strictObject({
  name: nameSchema(200).optional(),
  scopes: scopeDefinitionsSchema.optional(),
  signing_alg: signingAlgSchema.optional(),
  token_lifetime: tokenLifetimeSchema.optional(),
});

/** A resource server as the Management API answers it. */
export const resourceServerResponseSchema = z.object({
  id: z.string(),
  identifier: z.string(),
  name: z.string(),
  scopes: z.array(z.object({ value: z.string(), description: z.string() })),
  signing_alg: signingAlgSchema,
  token_lifetime: z.number().int(),
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
    is_system: rs.isSystem,
  };
}
