/** Signing key answers of the Management API: Auth0's fields, plus `alg` and the public JWK. Never private material. */
import { z } from 'zod';
import type { SigningKeyRecord } from '../store/store.ts';

/** Public JWK members a signing key answer may carry. */
const PUBLIC_MEMBERS = ['kty', 'crv', 'n', 'e', 'x', 'y'] as const;

/** A signing key as the Management API answers it. */
export const signingKeyResponseSchema = z.object({
  kid: z.string(),
  alg: z.enum(['RS256', 'PS256', 'ES256', 'EdDSA']),
  current: z.boolean(),
  next: z.boolean(),
  previous: z.boolean(),
  revoked: z.boolean(),
  current_since: z.string().optional(),
  current_until: z.string().optional(),
  revoked_at: z.string().optional(),
  jwk: z.record(z.string(), z.string()),
});

export type SigningKeyResponse = z.infer<typeof signingKeyResponseSchema>;

const iso = (ms: number | null): string | undefined => (ms === null ? undefined : new Date(ms).toISOString());

/** Serializes a stored signing key: public members only, copied by name from an allow-list. */
export function toSigningKeyResponse(key: SigningKeyRecord): SigningKeyResponse {
  const jwk: Record<string, string> = {};
  for (const m of PUBLIC_MEMBERS) {
    const v = key.publicJwk[m];
    if (v !== undefined) jwk[m] = v;
  }
  jwk.kid = key.kid;
  jwk.alg = key.alg;
  jwk.use = 'sig';
  const out: SigningKeyResponse = {
    kid: key.kid,
    alg: key.alg,
    current: key.status === 'current',
    next: key.status === 'next',
    previous: key.status === 'previous',
    revoked: key.status === 'revoked',
    jwk,
  };
  const since = iso(key.activatedAt);
  const until = iso(key.retiredAt);
  const revokedAt = iso(key.revokedAt);
  if (since !== undefined) out.current_since = since;
  if (until !== undefined) out.current_until = until;
  if (revokedAt !== undefined) out.revoked_at = revokedAt;
  return out;
}
