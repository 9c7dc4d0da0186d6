/** Token deny-list bodies and answers of the Management API, Auth0 shape (`{aud, jti}`). */
import { z } from 'zod';
import { apiIdentifierSchema } from './field-schemas.ts';

/** A token id: printable ASCII without spaces (gatehouse issues ULIDs). */
export const jtiSchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .regex(/^[\x21-\x7E]+$/, 'must be printable ASCII without spaces');

/**
 * `POST /api/v2/blacklists/tokens`. Auth0 lets `aud` out; gatehouse deny-lists a token per audience,
 * so it is required here.
 */
export const blacklistTokenSchema = z.strictObject({
  aud: apiIdentifierSchema,
  jti: jtiSchema,
});

/** `GET /api/v2/blacklists/tokens` query. */
export const blacklistQuerySchema = z.strictObject({ aud: apiIdentifierSchema.optional() });

/** A deny-listed token as the Management API answers it. */
export const blacklistedTokenSchema = z.object({ aud: z.string(), jti: z.string() });

/** `POST /api/v2/clients/{id}/revoke-tokens` (gatehouse extension): cut off one API, or every API when absent. */
export const revokeClientTokensSchema = z.strictObject({ audience: apiIdentifierSchema.optional() });

/** The answer of `revoke-tokens`: which tokens no longer count. */
export const clientCutoffResponseSchema = z.object({
  client_id: z.string(),
  audience: z.string().nullable(),
  revoked_before: z
    .string()
    .describe(
      'ISO 8601: every token of the client (for audience, or any when null) issued before this instant is revoked',
    ),
});
