/**
 * Client credentials of the Management API, Auth0's `/api/v2/clients/{id}/credentials` shape: a
 * public key (PEM) or a `jwks_uri` for `private_key_jwt`. Only public material is accepted, stored
 * or answered; a private key sent by mistake is refused and never stored.
 * @see https://auth0.com/docs/api/management/v2/clients/post-credentials
 */
import { createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { CLIENT_ASSERTION_ALGS } from '../discovery/metadata.ts';
import {
  federatedCredentialInputSchema,
  toFederatedFields,
} from '../federation/federated-credential-input.ts';
import { computeJwkThumbprint } from '../keys/signing-key.ts';
import type { ClientCredentialRecord } from '../store/store.ts';
import { nameSchema } from './field-schemas.ts';

/** Most credentials one client may hold. */
export const MAX_CLIENT_CREDENTIALS = 10;
/** Shortest RSA modulus accepted, in bits. */
const MIN_RSA_BITS = 2048;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A `jwks_uri`: https, or http on a loopback host only (local development and tests). */
const jwksUriSchema = z
  .string()
  .max(2048, 'must be at most 2048 characters')
  .refine((v) => URL.canParse(v), 'must be an absolute URL')
  .refine((v) => {
    const url = new URL(v);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  }, 'must be an https URL (http only on localhost)')
  .refine(
    (v) => !new URL(v).hash && !new URL(v).username && !new URL(v).password,
    'must not hold a fragment or credentials',
  );

/** A public key for private_key_jwt: a PEM public key (or certificate), or a `jwks_uri`. */
export const publicKeyCredentialSchema = z
  .strictObject({
    credential_type: z.literal('public_key'),
    name: nameSchema(128).optional(),
    pem: z.string().max(16_384, 'must be at most 16384 characters').optional(),
    alg: z
      .enum(CLIENT_ASSERTION_ALGS as [string, ...string[]], {
        error: `must be one of ${CLIENT_ASSERTION_ALGS.join(', ')}`,
      })
      .optional(),
    jwks_uri: jwksUriSchema.optional(),
  })
  .refine((b) => (b.pem === undefined) !== (b.jwks_uri === undefined), {
    message: 'give exactly one of pem and jwks_uri',
    path: ['pem'],
  });

/** `POST /api/v2/clients/{id}/credentials`: a public key, or a federated credential (federation/). */
export const createClientCredentialSchema = z.discriminatedUnion(
  'credential_type',
  [publicKeyCredentialSchema, federatedCredentialInputSchema],
  { error: 'credential_type: must be public_key or federated' },
);

/** A credential as the Management API answers it: never the key itself, its `kid` (RFC 7638 thumbprint) instead. */
export const clientCredentialResponseSchema = z.object({
  id: z.string(),
  credential_type: z.enum(['public_key', 'federated']),
  name: z.string(),
  alg: z.string().optional(),
  kid: z.string().optional(),
  jwks_uri: z.string().optional(),
  issuer: z.string().optional(),
  subject: z.string().optional(),
  audience: z.string().optional(),
  issuer_kind: z.enum(['kubernetes', 'spiffe', 'aws', 'github-actions', 'oidc']).optional(),
  created_at: z.string(),
  updated_at: z.string(),
});

export type ClientCredentialResponse = z.infer<typeof clientCredentialResponseSchema>;

/** Why a PEM cannot be registered (a 400 message). */
export class CredentialKeyError extends Error {
  readonly code = 'ERR_CREDENTIAL_KEY';
}

/** The public key in a PEM `PUBLIC KEY` or `CERTIFICATE`; refuses private keys and anything else. */
export function parsePublicKeyPem(pem: string): KeyObject {
  if (/PRIVATE KEY/.test(pem)) {
    throw new CredentialKeyError('pem holds a private key; register the public key only (it was not stored)');
  }
  try {
    if (/-----BEGIN CERTIFICATE-----/.test(pem)) return new X509Certificate(pem).publicKey;
    if (/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem)) return createPublicKey(pem);
  } catch {
    throw new CredentialKeyError('pem is not a readable public key or certificate');
  }
  throw new CredentialKeyError('pem must be a PEM "PUBLIC KEY" or "CERTIFICATE"');
}

/** The algorithms a key can verify: its type and size decide. */
function algsFor(key: KeyObject): string[] {
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      if ((details?.modulusLength ?? 0) < MIN_RSA_BITS) {
        throw new CredentialKeyError(`an RSA key must have at least ${MIN_RSA_BITS} bits`);
      }
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'ec': {
      const curve = details?.namedCurve;
      if (curve === 'prime256v1') return ['ES256'];
      if (curve === 'secp384r1') return ['ES384'];
      if (curve === 'secp521r1') return ['ES512'];
      throw new CredentialKeyError('an EC key must be on P-256, P-384 or P-521');
    }
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      throw new CredentialKeyError('the key type is not supported (use RSA, EC or Ed25519)');
  }
}

/**
 * Checks a registered key against its algorithm (default: the key type's usual one) and answers
 * what to store: the key re-encoded as SPKI PEM (a certificate's extras dropped), the algorithm and
 * the kid.
 */
export function normaliseCredentialKey(
  pem: string,
  alg: string | undefined,
): { pem: string; alg: string; kid: string } {
  const key = parsePublicKeyPem(pem);
  const algs = algsFor(key);
  const chosen = alg ?? algs[0]!;
  if (!algs.includes(chosen)) {
    throw new CredentialKeyError(`alg ${chosen} does not fit this key; use one of ${algs.join(', ')}`);
  }
  return {
    pem: key.export({ type: 'spki', format: 'pem' }).toString(),
    alg: chosen,
    kid: computeKeyId(key),
  };
}

/** The RFC 7638 thumbprint of a public key. */
function computeKeyId(key: KeyObject): string {
  return computeJwkThumbprint(key.export({ format: 'jwk' }) as Record<string, unknown>);
}

/** Serializes a stored credential: metadata and the key's thumbprint, never the key. */
export function toClientCredentialResponse(c: ClientCredentialRecord): ClientCredentialResponse {
  const iso = new Date(c.createdAt).toISOString();
  const out: ClientCredentialResponse = {
    id: c.id,
    credential_type: c.credentialType,
    name: c.name,
    created_at: iso,
    updated_at: iso,
  };
  if (c.credentialType === 'federated') {
    Object.assign(out, toFederatedFields(c));
    if (c.jwksUri !== undefined) out.jwks_uri = c.jwksUri;
    return out;
  }
  if (c.alg !== undefined) out.alg = c.alg;
  if (c.pem !== undefined) {
    try {
      out.kid = computeKeyId(createPublicKey(c.pem));
    } catch {
      // A stored key that no longer parses is still listed (so it can be deleted), without a kid.
    }
  }
  if (c.jwksUri !== undefined) out.jwks_uri = c.jwksUri;
  return out;
}
