/**
 * Signing access tokens with an AWS KMS asymmetric key (`kms:Sign`): the private key is made in
 * KMS and never leaves it; the server only holds its public key (`kms:GetPublicKey`), published
 * in the JWKS under its RFC 7638 thumbprint, so the `kid` is the same on every instance and after
 * every restart. Each token costs one KMS request (a few milliseconds in the same region), signed
 * with the key's resolved ARN, so re-pointing an alias can never make one kid sign with another key.
 *
 * JWS to KMS: RS256 is RSASSA_PKCS1_V1_5_SHA_256, PS256 RSASSA_PSS_SHA_256 (KMS's salt is the
 * digest length, as RFC 7518 3.5 asks), ES256 ECDSA_SHA_256, whose DER signature becomes JOSE's
 * fixed-length r||s (RFC 7518 3.4).
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html
 * @see https://docs.aws.amazon.com/kms/latest/APIReference/API_GetPublicKey.html
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.1
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  GetPublicKeyCommand,
  type KMSClient,
  SignCommand,
  type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms';
import { InvalidScope, TemporarilyUnavailable } from '../http/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { JwtSigner } from '../token/jwt-signer.ts';
import type { Signer } from './key-ring.ts';
import type { KmsKeyRef, KmsSigningAlg } from './kms-key-list.ts';
import { computeJwkThumbprint } from './signing-key.ts';

/** Why a KMS signing key cannot be used. */
export type KmsSignerErrorCode = 'ERR_KMS_SIGNING_KEY' | 'ERR_KMS_UNAVAILABLE' | 'ERR_KMS_SIGN';

/** A KMS signing problem. Messages name the key and the cause, never a token. */
export class KmsSignerError extends Error {
  readonly code: KmsSignerErrorCode;
  constructor(code: KmsSignerErrorCode, message: string) {
    super(message);
    this.name = 'KmsSignerError';
    this.code = code;
  }
}

/** How each JWS algorithm is asked of KMS, and which key specs can do it. */
const KMS_ALGORITHMS: Readonly<
  Record<KmsSigningAlg, { algorithm: SigningAlgorithmSpec; keySpecs: readonly string[] }>
> = {
  RS256: { algorithm: 'RSASSA_PKCS1_V1_5_SHA_256', keySpecs: ['RSA_2048', 'RSA_3072', 'RSA_4096'] },
  PS256: { algorithm: 'RSASSA_PSS_SHA_256', keySpecs: ['RSA_2048', 'RSA_3072', 'RSA_4096'] },
  ES256: { algorithm: 'ECDSA_SHA_256', keySpecs: ['ECC_NIST_P256'] },
};

/**
 * KMS's Sign takes at most 4096 bytes of RAW message; gatehouse's signing inputs are well under
 * 2 KiB. (A DIGEST message would lift the limit, but the local KMS endpoint the tests run against
 * can only sign RAW messages with node:crypto, and untested code would sign every token.)
 */
const MAX_SIGNING_INPUT = 4096;
/** ES256: r and s are 32 bytes each. */
const P256_COORDINATE_BYTES = 32;

/** A KMS signing key as the server uses it: public half and identifiers only. */
export interface KmsSigningKey {
  /** RFC 7638 thumbprint of the public key. */
  readonly kid: string;
  readonly alg: KmsSigningAlg;
  /** The key's ARN as KMS resolved it (also when it was configured by alias). */
  readonly keyArn: string;
  /** As configured (an alias stays an alias), for messages. */
  readonly configuredAs: string;
  /** Public JWK members (kty, n/e or crv/x/y). */
  readonly publicJwk: Readonly<Record<string, string>>;
  readonly publicKey: KeyObject;
}

/**
 * The `Signer` a KMS key ring hands out: the kid and alg of a KMS key. It has no private key to
 * give: reading `privateKey` throws, so a signer that expects a local key fails instead of signing.
 */
export class KmsSigner implements Signer {
  readonly kid: string;
  readonly alg: KmsSigningAlg;
  readonly key: KmsSigningKey;
  constructor(key: KmsSigningKey) {
    this.kid = key.kid;
    this.alg = key.alg;
    this.key = key;
  }
  get privateKey(): KeyObject {
    throw new KmsSignerError(
      'ERR_KMS_SIGN',
      `signing key ${this.kid} is held in AWS KMS: only the KMS JWT signer can sign with it`,
    );
  }
}

/**
 * Reads a KMS key's public half and checks it can sign for the algorithm (named, or RS256 for RSA
 * and ES256 for P-256 keys).
 */
export async function loadKmsSigningKey(client: KMSClient, ref: KmsKeyRef): Promise<KmsSigningKey> {
  const out = await callKms(ref.keyId, 'kms:GetPublicKey', () =>
    client.send(new GetPublicKeyCommand({ KeyId: ref.keyId })),
  );
  const bad = (problem: string): never => {
    throw new KmsSignerError('ERR_KMS_SIGNING_KEY', `KMS key ${ref.keyId} ${problem}`);
  };
  if (out.KeyUsage !== 'SIGN_VERIFY') bad('is not a signing key (KeyUsage must be SIGN_VERIFY)');
  const spec = out.KeySpec ?? '';
  const alg: KmsSigningAlg =
    ref.alg ??
    (spec.startsWith('RSA_') ? 'RS256' : spec === 'ECC_NIST_P256' ? 'ES256' : bad(unsupported(spec)));
  const want = KMS_ALGORITHMS[alg];
  if (!want.keySpecs.includes(spec))
    bad(`(${spec}) cannot sign ${alg}; ${alg} needs ${want.keySpecs.join(' or ')}`);
  if (!(out.SigningAlgorithms ?? []).includes(want.algorithm))
    bad(`does not offer ${want.algorithm} (${alg})`);
  if (!out.PublicKey || !out.KeyId) bad('returned no public key');
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({
      key: Buffer.from(out.PublicKey as Uint8Array),
      format: 'der',
      type: 'spki',
    });
  } catch {
    return bad('returned a public key that is not DER SubjectPublicKeyInfo');
  }
  const jwk = publicKey.export({ format: 'jwk' });
  const publicJwk: Record<string, string> = {};
  for (const m of ['kty', 'crv', 'n', 'e', 'x', 'y'] as const) {
    const v = jwk[m];
    if (typeof v === 'string') publicJwk[m] = v;
  }
  return Object.freeze({
    kid: computeJwkThumbprint(publicJwk),
    alg,
    keyArn: out.KeyId as string,
    configuredAs: ref.keyId,
    publicJwk: Object.freeze(publicJwk),
    publicKey,
  });
}

function unsupported(spec: string): string {
  return `has key spec ${spec || 'unknown'}; gatehouse signs with RSA_2048/3072/4096 (RS256, PS256) or ECC_NIST_P256 (ES256) KMS keys`;
}

/** Options of `createKmsJwtSigner`. */
export interface KmsJwtSignerOptions {
  client: KMSClient;
  /** Gets a warning naming the KMS failure when a signature cannot be made (the client gets a 503). */
  logger?: Logger;
}

/**
 * A `JwtSigner` that signs with `kms:Sign`: the protected header `{alg, typ, kid}` is built once per
 * key. Only `KmsSigner`s are accepted. A KMS failure answers `temporarily_unavailable` (503) to the
 * client, with the cause in the log.
 * @param typ the `typ` header (RFC 9068 access tokens: `at+jwt`)
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-5.1
 */
export function createKmsJwtSigner(typ: string, opts: KmsJwtSignerOptions): JwtSigner {
  const { client, logger } = opts;
  const prefixes = new Map<string, string>();
  const headerPrefix = (key: KmsSigningKey): string => {
    let prefix = prefixes.get(key.kid);
    if (prefix === undefined) {
      const header = JSON.stringify({ alg: key.alg, typ, kid: key.kid });
      prefix = `${Buffer.from(header).toString('base64url')}.`;
      prefixes.set(key.kid, prefix);
    }
    return prefix;
  };
  return {
    async sign(signer, payloadJson) {
      if (!(signer instanceof KmsSigner)) {
        throw new KmsSignerError('ERR_KMS_SIGN', `signing key ${signer.kid} is not an AWS KMS key`);
      }
      const key = signer.key;
      const signingInput = headerPrefix(key) + Buffer.from(payloadJson).toString('base64url');
      if (signingInput.length > MAX_SIGNING_INPUT) {
        // Only a grant of very many scopes gets here; the client can ask for fewer (`scope`).
        throw new InvalidScope(
          `the token would be longer than the ${MAX_SIGNING_INPUT} bytes AWS KMS signs; request fewer scopes`,
        );
      }
      let signature: Uint8Array;
      try {
        const out = await callKms(key.configuredAs, 'kms:Sign', () =>
          client.send(
            new SignCommand({
              KeyId: key.keyArn,
              Message: Buffer.from(signingInput),
              MessageType: 'RAW',
              SigningAlgorithm: KMS_ALGORITHMS[key.alg].algorithm,
            }),
          ),
        );
        if (!out.Signature)
          throw new KmsSignerError('ERR_KMS_SIGN', `KMS key ${key.configuredAs} returned no signature`);
        signature =
          key.alg === 'ES256'
            ? convertDerToJoseSignature(out.Signature, P256_COORDINATE_BYTES)
            : out.Signature;
      } catch (err) {
        const message = err instanceof Error ? err.message : 'KMS signing failed';
        logger?.warn(
          { event: 'kms.sign_failed', kid: key.kid, err: message.slice(0, 500) },
          'KMS could not sign a token',
        );
        const unavailable = new TemporarilyUnavailable(
          'the server cannot sign tokens right now; retry later',
        );
        unavailable.retryAfterSeconds = 1;
        throw unavailable;
      }
      return `${signingInput}.${Buffer.from(signature).toString('base64url')}`;
    },
  };
}

/**
 * Converts an ECDSA signature from DER (`SEQUENCE { INTEGER r, INTEGER s }`, what KMS returns) to
 * JOSE's `r || s`, each left-padded to `size` bytes. Strict: anything else is refused.
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.4
 */
export function convertDerToJoseSignature(der: Uint8Array, size: number): Buffer {
  const fail = (): never => {
    throw new KmsSignerError('ERR_KMS_SIGN', 'KMS returned a malformed ECDSA signature');
  };
  let pos = 0;
  const byte = (): number => (pos < der.length ? (der[pos++] as number) : fail());
  if (byte() !== 0x30) fail();
  const seqLength = byte();
  // Short-form lengths only: a P-256 (even P-521) signature sequence is below 128 bytes.
  if (seqLength >= 0x80 || seqLength !== der.length - 2) fail();
  const integer = (): Buffer => {
    if (byte() !== 0x02) fail();
    const length = byte();
    if (length === 0 || length >= 0x80 || pos + length > der.length) fail();
    let value = Buffer.from(der.subarray(pos, pos + length));
    pos += length;
    if ((value[0] as number) & 0x80) fail(); // negative: not a valid r or s
    // A leading zero is allowed only to keep the high bit of the next byte from signing the integer.
    if (value.length > 1 && value[0] === 0 && !((value[1] as number) & 0x80)) fail();
    while (value.length > 1 && value[0] === 0) value = value.subarray(1);
    if (value.length > size) fail();
    return Buffer.concat([Buffer.alloc(size - value.length), value]);
  };
  const r = integer();
  const s = integer();
  if (pos !== der.length) fail();
  return Buffer.concat([r, s]);
}

/** Runs a KMS call, turning its failures into a `KmsSignerError` that says what to check. */
async function callKms<T>(keyId: string, action: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (error instanceof KmsSignerError) throw error;
    const name = error instanceof Error ? error.name : 'Error';
    const hint: Record<string, string> = {
      AccessDeniedException: `the server's role may not call ${action} on it`,
      NotFoundException: 'no such key in this account and region',
      DisabledException: 'the key is disabled',
      KMSInvalidStateException: 'the key is pending deletion or not usable',
      InvalidKeyUsageException: 'the key is not a SIGN_VERIFY key',
      UnsupportedOperationException: 'the key is not an asymmetric SIGN_VERIFY key',
      KeyUnavailableException: 'the key is unavailable now; retry',
      ThrottlingException: 'KMS is throttling the calls (raise the quota or lower the rate)',
    };
    throw new KmsSignerError(
      'ERR_KMS_UNAVAILABLE',
      `KMS key ${keyId}: ${hint[name] ?? `${action} failed (${name})`}`,
    );
  }
}
