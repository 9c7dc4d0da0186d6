/**
 * Client bodies and answers of the Management API, Auth0 shape. Answers never carry a secret
 * hash; `client_secret` appears only in the create and rotate-secret answers.
 */
import { z } from 'zod';
import type { ClientRecord } from '../store/store.ts';
import { descriptionSchema, nameSchema } from './field-schemas.ts';

const METADATA_KEY = /^[A-Za-z0-9_-]{1,255}$/;

/** Auth0's `client_metadata`: at most 10 string entries, keys and values up to 255 characters. */
const clientMetadataSchema = z
  .record(
    z.string().regex(METADATA_KEY, 'keys must be 1 to 255 characters of A-Z a-z 0-9 _ -'),
    z.string().max(255, 'values must be at most 255 characters'),
  )
  .refine((m) => Object.keys(m).length <= 10, 'must hold at most 10 entries');

/**
 * Authentication methods a client may be created with. With `private_key_jwt` its secrets no
 * longer authenticate; it authenticates with a client assertion signed by a registered credential.
 */
const authMethodSchema = z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt'], {
  error: 'must be client_secret_basic, client_secret_post or private_key_jwt',
});

/** `POST /api/v2/clients`. */
export const createClientSchema = z.strictObject({
  name: nameSchema(128),
  description: descriptionSchema(140).optional(),
  app_type: z.literal('non_interactive', { error: 'must be non_interactive' }).optional(),
  token_endpoint_auth_method: authMethodSchema.optional(),
  grant_types: z
    .array(z.literal('client_credentials', { error: 'only client_credentials is supported' }))
    .max(1)
    .optional(),
  client_metadata: clientMetadataSchema.optional(),
  disabled: z.boolean({ error: 'must be true or false' }).optional(),
});

/** `PATCH /api/v2/clients/{id}`. */
export const updateClientSchema = createClientSchema.partial();

/** A client as the Management API answers it. */
export const clientResponseSchema = z.object({
  client_id: z.string(),
  name: z.string(),
  description: z.string(),
  app_type: z.literal('non_interactive'),
  token_endpoint_auth_method: z.string(),
  grant_types: z.array(z.literal('client_credentials')),
  client_metadata: z.record(z.string(), z.string()),
  disabled: z.boolean(),
  is_first_party: z.literal(true),
});

/** The create answer: the client plus its new secret, shown this once. */
export const clientWithSecretResponseSchema = clientResponseSchema.extend({ client_secret: z.string() });

/** Longest grace period a rotated secret may keep working: 30 days. */
export const MAX_SECRET_GRACE_SECONDS = 30 * 86_400;

const graceSeconds = z
  .number({ error: 'must be a number of seconds' })
  .int('must be a whole number of seconds')
  .min(0, 'must be 0 or more')
  .max(MAX_SECRET_GRACE_SECONDS, `must be at most ${MAX_SECRET_GRACE_SECONDS} seconds (30 days)`);

/**
 * `POST /api/v2/clients/{id}/rotate-secret` body (gatehouse extension; Auth0 sends none): how long
 * the previous secret keeps working, default 0 (it stops at once, as in Auth0).
 */
export const rotateSecretSchema = z.strictObject({
  grace_period_seconds: graceSeconds
    .optional()
    .describe('Seconds the previous secret keeps working, 0 to 2592000; default 0'),
});

/** The same as a query parameter. */
export const rotateSecretQuerySchema = z.strictObject({
  grace_period_seconds: z
    .string()
    .regex(/^\d{1,8}$/, 'grace_period_seconds must be a whole number of seconds')
    .transform(Number)
    .pipe(graceSeconds)
    .optional(),
});

/** The rotate-secret answer: the client, its new secret (shown this once), and when the previous one stops. */
export const rotatedSecretResponseSchema = clientWithSecretResponseSchema.extend({
  previous_secret_expires_at: z
    .string()
    .nullable()
    .describe('ISO 8601: until when the previous secret keeps working; null when it stopped at once'),
});

export type ClientResponse = z.infer<typeof clientResponseSchema>;

/** Serializes a stored client, leaving out every secret hash and credential. */
export function toClientResponse(client: ClientRecord): ClientResponse {
  return {
    client_id: client.clientId,
    name: client.name,
    description: client.description,
    app_type: client.appType,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    grant_types: ['client_credentials'],
    client_metadata: { ...client.metadata },
    disabled: client.disabled,
    is_first_party: true,
  };
}
