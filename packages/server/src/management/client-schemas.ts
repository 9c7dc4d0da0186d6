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

/** Authentication methods a client may be created with (private_key_jwt arrives with issue 6). */
const authMethodSchema = z.enum(['client_secret_basic', 'client_secret_post'], {
  error: 'must be client_secret_basic or client_secret_post',
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

/** The create and rotate-secret answer: the client plus its new secret, shown this once. */
export const clientWithSecretResponseSchema = clientResponseSchema.extend({ client_secret: z.string() });

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
