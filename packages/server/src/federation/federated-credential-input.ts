/**
 * `{"credential_type": "federated", "name", "issuer", "subject", "audience"}` of
 * `POST /api/v2/clients/{id}/credentials` (DESIGN.md): a trusted external issuer (its issuer
 * identifier, or its discovery URL; optionally a `jwks_uri` when it publishes no discovery), the
 * exact `sub` or a prefix pattern, and the audience the workload must request.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 */
import { z } from 'zod';
import type { ClientCredentialRecord } from '../store/store.ts';
import { detectIssuerKind, type IssuerKind } from './issuer-kinds.ts';
import { describeSubjectPatternError, MAX_SUBJECT_LENGTH } from './subject-pattern.ts';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const DISCOVERY_SUFFIX = '/.well-known/openid-configuration';

/** An https URL (http only on a loopback host, for local development and tests), without query, fragment or credentials. */
const httpsUrlSchema = z
  .string()
  .max(2048, 'must be at most 2048 characters')
  .refine((v) => URL.canParse(v), 'must be an absolute URL')
  .refine((v) => {
    const url = new URL(v);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  }, 'must be an https URL (http only on localhost)')
  .refine((v) => {
    const url = new URL(v);
    return !url.hash && !url.search && !url.username && !url.password;
  }, 'must not hold a query, fragment or credentials');

/** The issuer identifier (the tokens' `iss`) of an issuer URL or of its discovery URL. */
export function normaliseIssuer(value: string): string {
  return value.endsWith(DISCOVERY_SUFFIX) ? value.slice(0, -DISCOVERY_SUFFIX.length) : value;
}

/** The body of a federated credential. */
export const federatedCredentialInputSchema = z.strictObject({
  credential_type: z.literal('federated'),
  name: z
    .string()
    .min(1, 'must not be empty')
    .max(128, 'must be at most 128 characters')
    .regex(/^[^\p{Cc}<>]*$/u, 'must not contain control characters, < or >')
    .optional(),
  issuer: httpsUrlSchema.transform(normaliseIssuer),
  jwks_uri: httpsUrlSchema.optional(),
  subject: z
    .string({ error: 'is required: the exact sub, or a prefix ending in :* or /*' })
    .max(MAX_SUBJECT_LENGTH, `must be at most ${MAX_SUBJECT_LENGTH} characters`)
    .superRefine((v, ctx) => {
      const problem = describeSubjectPatternError(v);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }),
  audience: z
    .string({ error: 'is required: the audience the workload requests its token for' })
    .min(1, 'must not be empty')
    .max(512, 'must be at most 512 characters')
    .regex(/^\S+$/, 'must not contain whitespace'),
});

export type FederatedCredentialInput = z.output<typeof federatedCredentialInputSchema>;

/** The stored record of a parsed federated credential. */
export function createFederatedCredentialRecord(
  id: string,
  input: FederatedCredentialInput,
  now: number,
): ClientCredentialRecord {
  const record: ClientCredentialRecord = {
    id,
    credentialType: 'federated',
    name: input.name ?? `${new URL(input.issuer).host} ${input.subject}`.slice(0, 128),
    issuer: input.issuer,
    subject: input.subject,
    audience: input.audience,
    createdAt: now,
  };
  if (input.jwks_uri !== undefined) record.jwksUri = input.jwks_uri;
  return record;
}

/** The federated fields of a credential as the Management API answers them. */
export function toFederatedFields(c: ClientCredentialRecord): {
  issuer: string;
  subject: string;
  audience: string;
  issuer_kind: IssuerKind;
} {
  const issuer = c.issuer ?? '';
  const subject = c.subject ?? '';
  return { issuer, subject, audience: c.audience ?? '', issuer_kind: detectIssuerKind(issuer, subject) };
}
