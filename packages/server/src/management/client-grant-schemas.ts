/** Client grant bodies and answers of the Management API, Auth0 shape plus an optional token lifetime. */
import { z } from 'zod';
import type { ClientGrantRecord } from '../store/store.ts';
import {
  apiIdentifierSchema,
  clientIdSchema,
  scopeListSchema,
  tokenLifetimeSchema,
} from './field-schemas.ts';

/** `POST /api/v2/client-grants`. */
export const createClientGrantSchema = z.strictObject({
  client_id: clientIdSchema,
  audience: apiIdentifierSchema,
  scope: scopeListSchema,
  /** Overrides the API's token lifetime for this client (gatehouse extension). */
  token_lifetime: tokenLifetimeSchema.nullable().optional(),
});

/** `PATCH /api/v2/client-grants/{id}`. */
export const updateClientGrantSchema = z.strictObject({
  scope: scopeListSchema.optional(),
  token_lifetime: tokenLifetimeSchema.nullable().optional(),
});

/** A client grant as the Management API answers it. */
export const clientGrantResponseSchema = z.object({
  id: z.string(),
  client_id: z.string(),
  audience: z.string(),
  scope: z.array(z.string()),
  token_lifetime: z.number().int().nullable(),
});

export type ClientGrantResponse = z.infer<typeof clientGrantResponseSchema>;

/** Serializes a stored client grant. */
export function toClientGrantResponse(grant: ClientGrantRecord): ClientGrantResponse {
  return {
    id: grant.id,
    client_id: grant.clientId,
    audience: grant.audience,
    scope: [...grant.scope],
    token_lifetime: grant.tokenLifetime,
  };
}
