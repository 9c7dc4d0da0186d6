/**
 * A client credential (a public key for private_key_jwt, or a federated credential) as the Management API answers it, parsed
 * for display, and the `clients credentials list` table.
 * @see https://auth0.com/docs/api/management/v2/clients/get-credentials
 */
import { z } from 'zod';
import { CliResponseError } from '../errors.ts';
import { formatRecord } from '../output/record.ts';
import { type Column, formatTable } from '../output/table.ts';

const CredentialSchema = z.looseObject({
  id: z.string(),
  credential_type: z.string().optional(),
  name: z.string().optional(),
  alg: z.string().optional(),
  kid: z.string().optional(),
  jwks_uri: z.string().optional(),
  issuer: z.string().optional(),
  subject: z.string().optional(),
  audience: z.string().optional(),
  issuer_kind: z.string().optional(),
  created_at: z.string().optional(),
});

/** A credential answer; unknown members are kept. */
export type Credential = z.infer<typeof CredentialSchema>;

/** Parses one credential; throws `CliResponseError` when it is not one. */
export function parseCredential(json: unknown): Credential {
  const parsed = CredentialSchema.safeParse(json);
  if (!parsed.success)
    throw new CliResponseError('the server answered something that is not a client credential');
  return parsed.data;
}

/** Parses a list of credentials. */
export function parseCredentials(json: unknown): Credential[] {
  if (!Array.isArray(json))
    throw new CliResponseError('the server answered something that is not a list of credentials');
  return json.map(parseCredential);
}

const COLUMNS: Column<Credential>[] = [
  { header: 'id', value: (c) => c.id },
  { header: 'name', value: (c) => c.name, maxWidth: 32 },
  { header: 'alg', value: (c) => c.alg },
  { header: 'type', value: (c) => c.issuer_kind ?? c.credential_type },
  {
    header: 'key',
    value: (c) => c.kid ?? (c.subject !== undefined ? `${c.subject} @ ${c.issuer}` : c.jwks_uri),
    maxWidth: 60,
  },
  { header: 'created', value: (c) => c.created_at },
];

/** The `clients credentials list` table. */
export function formatCredentialTable(credentials: readonly Credential[]): string {
  return formatTable(COLUMNS, credentials);
}

/** The `clients credentials add` view. */
export function formatCredentialDetails(credential: Credential): string {
  return formatRecord(credential, {
    first: [
      'id',
      'credential_type',
      'name',
      'alg',
      'kid',
      'issuer_kind',
      'issuer',
      'subject',
      'audience',
      'jwks_uri',
    ],
  });
}
