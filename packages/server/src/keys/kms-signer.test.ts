/**
 * KMS asymmetric signing with the real @aws-sdk/client-kms against the local KMS JSON-protocol
 * endpoint (node:crypto key pairs inside it), tokens checked by jose and by @gatehouse/authorizer.
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { createVerifier } from '@gatehouse/authorizer';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadRequest, Forbidden, InvalidScope, TemporarilyUnavailable } from '../http/errors.ts';
import { type KmsEndpoint, startKmsEndpoint } from '../testing/kms-endpoint.ts';
import type { KeyRing } from './key-ring.ts';
import { openKmsKeyRing } from './kms-key-ring.ts';
import { convertDerToJoseSignature, createKmsJwtSigner, KmsSigner, KmsSignerError } from './kms-signer.ts';

let kms: KmsEndpoint;
let client: KMSClient;
const ISSUER = 'https://auth.example.test/';
const AUDIENCE = 'https://contacts.example.test/';

beforeAll(async () => {
  kms = await startKmsEndpoint();
  client = new KMSClient({
    endpoint: kms.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'local-test-secret' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await kms.close();
});

/** A signing key made through the SDK's CreateKey, as an operator would with the AWS CLI. */
async function createKmsKey(spec: 'RSA_2048' | 'ECC_NIST_P256'): Promise<string> {
  const out = await client.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'SIGN_VERIFY' }));
  return out.KeyMetadata?.Arn as string;
}

function claims(): string {
  const now = Math.floor(Date.now() / 1000);
  return JSON.stringify({
    iss: ISSUER,
    sub: 'client-1',
    aud: AUDIENCE,
    iat: now,
    exp: now + 300,
    jti: `jti-${now}-${Math.random()}`,
    client_id: 'client-1',
    scope: 'read:contacts',
  });
}

async function signWith(ring: KeyRing, alg: 'RS256' | 'PS256' | 'ES256'): Promise<string> {
  const signer = await ring.getSigner(alg);
  return createKmsJwtSigner('at+jwt', { client }).sign(signer, claims());
}

describe('signing with an AWS KMS asymmetric key', () => {
  it('signs RS256, PS256 and ES256 tokens that jose verifies with the published keys', async () => {
    const rsa = await createKmsKey('RSA_2048');
    const rsaPss = await createKmsKey('RSA_2048');
    const ec = await createKmsKey('ECC_NIST_P256');
    const ring = await openKmsKeyRing({
      client,
      signingKeys: [
        { keyId: rsa, alg: undefined },
        { keyId: rsaPss, alg: 'PS256' },
        { keyId: ec, alg: undefined },
      ],
    });
    const jwks = createLocalJWKSet(await ring.getJwks());
    for (const alg of ['RS256', 'PS256', 'ES256'] as const) {
      const token = await signWith(ring, alg);
      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        issuer: ISSUER,
        audience: AUDIENCE,
        typ: 'at+jwt',
        algorithms: [alg],
      });
      expect(protectedHeader.alg).toBe(alg);
      expect(payload.sub).toBe('client-1');
    }
    expect(kms.calls.filter((c) => c === 'Sign')).toHaveLength(3);
  });

  it('signs tokens that @gatehouse/authorizer verifies against the JWKS', async () => {
    const ring = await openKmsKeyRing({
      client,
      signingKeys: [
        { keyId: await createKmsKey('RSA_2048'), alg: undefined },
        { keyId: await createKmsKey('ECC_NIST_P256'), alg: undefined },
      ],
    });
    const jwks = JSON.stringify(await ring.getJwks());
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: `${ISSUER}.well-known/jwks.json`,
      revocationFeed: false,
      backgroundRefresh: false,
      fetch: async () => ({
        status: 200,
        headers: new Headers({ 'content-type': 'application/json' }),
        text: async () => jwks,
      }),
    });
    for (const alg of ['RS256', 'ES256'] as const) {
      const verified = await verifier.verify(await signWith(ring, alg));
      expect(verified).toMatchObject({ clientId: 'client-1' });
    }
  });

  it('names each key by its RFC 7638 thumbprint: the same kid on every instance, alias or ARN', async () => {
    const arn = await createKmsKey('ECC_NIST_P256');
    kms.createAlias('gatehouse-stable', arn);
    const byArn = await openKmsKeyRing({ client, signingKeys: [{ keyId: arn, alg: undefined }] });
    const byAlias = await openKmsKeyRing({
      client,
      signingKeys: [{ keyId: 'alias/gatehouse-stable', alg: 'ES256' }],
    });
    const [a] = (await byArn.getJwks()).keys;
    const [b] = (await byAlias.getJwks()).keys;
    expect(a?.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b?.kid).toBe(a?.kid);
    expect(a).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(a).not.toHaveProperty('d');
    expect(decodeProtectedHeader(await signWith(byAlias, 'ES256')).kid).toBe(a?.kid);
  });

  it('keeps signing with the key it resolved when the alias is re-pointed later', async () => {
    const first = await createKmsKey('RSA_2048');
    kms.createAlias('gatehouse-moving', first);
    const ring = await openKmsKeyRing({
      client,
      signingKeys: [{ keyId: 'alias/gatehouse-moving', alg: undefined }],
    });
    kms.createAlias('gatehouse-moving', await createKmsKey('RSA_2048'));
    const token = await signWith(ring, 'RS256');
    await expect(jwtVerify(token, createLocalJWKSet(await ring.getJwks()))).resolves.toBeTruthy();
  });

  it('publishes the keys of the published list without ever signing with them', async () => {
    const current = await createKmsKey('RSA_2048');
    const retired = await createKmsKey('RSA_2048');
    const oldRing = await openKmsKeyRing({ client, signingKeys: [{ keyId: retired, alg: undefined }] });
    const oldToken = await signWith(oldRing, 'RS256');
    const ring = await openKmsKeyRing({
      client,
      signingKeys: [{ keyId: current, alg: undefined }],
      publishedKeys: [{ keyId: retired, alg: undefined }],
    });
    const jwks = await ring.getJwks();
    expect(jwks.keys).toHaveLength(2);
    // A token of the retired key still verifies; new tokens come from the current one.
    await expect(jwtVerify(oldToken, createLocalJWKSet(jwks))).resolves.toBeTruthy();
    const newKid = decodeProtectedHeader(await signWith(ring, 'RS256')).kid;
    expect(newKid).not.toBe(decodeProtectedHeader(oldToken).kid);
    const listed = await ring.listKeys();
    expect(listed.map((k) => [k.kid === newKid, k.status])).toEqual([
      [true, 'current'],
      [false, 'previous'],
    ]);
    expect(listed.every((k) => k.encryptedPrivateKey === '')).toBe(true);
  });
});

describe('a misconfigured KMS signing key', () => {
  const open = (keyId: string, alg?: 'RS256' | 'PS256' | 'ES256') =>
    openKmsKeyRing({ client, signingKeys: [{ keyId, alg }] });

  it('refuses a symmetric key, naming it', async () => {
    const keyId = kms.createKey();
    await expect(open(keyId)).rejects.toThrow(
      new RegExp(`KMS key ${keyId}: .*not an asymmetric SIGN_VERIFY key`),
    );
  });

  it('refuses an algorithm the key cannot sign', async () => {
    const ec = await createKmsKey('ECC_NIST_P256');
    await expect(open(ec, 'RS256')).rejects.toMatchObject({
      code: 'ERR_KMS_SIGNING_KEY',
      message: expect.stringContaining('cannot sign RS256'),
    });
  });

  it('refuses a key that does not exist or is disabled, saying which', async () => {
    await expect(open('alias/nowhere')).rejects.toThrow(
      'alias/nowhere: no such key in this account and region',
    );
    const disabled = await createKmsKey('RSA_2048');
    kms.disableKey(disabled);
    await expect(open(disabled)).rejects.toThrow('the key is disabled');
  });

  it('refuses one key for two algorithms, and two signing keys for one algorithm', async () => {
    const rsa = await createKmsKey('RSA_2048');
    const alias = `gatehouse-twice-${Date.now()}`;
    kms.createAlias(alias, rsa);
    await expect(
      openKmsKeyRing({
        client,
        signingKeys: [
          { keyId: rsa, alg: 'RS256' },
          { keyId: `alias/${alias}`, alg: 'PS256' },
        ],
      }),
    ).rejects.toThrow(/are the same key .*for one algorithm/);
    await expect(
      openKmsKeyRing({
        client,
        signingKeys: [
          { keyId: rsa, alg: undefined },
          { keyId: await createKmsKey('RSA_2048'), alg: undefined },
        ],
      }),
    ).rejects.toThrow(/both sign RS256/);
  });
});

describe('the KMS key ring', () => {
  let ring: KeyRing;
  beforeAll(async () => {
    ring = await openKmsKeyRing({
      client,
      signingKeys: [{ keyId: await createKmsKey('RSA_2048'), alg: undefined }],
    });
  });

  it('refuses an API algorithm no KMS key signs, and answers 503 rather than making a local key', async () => {
    await expect(ring.ensureSigningKey('RS256')).resolves.toBeUndefined();
    await expect(ring.ensureSigningKey('ES256')).rejects.toBeInstanceOf(BadRequest);
    await expect(ring.ensureSigningKey('ES256')).rejects.toThrow('no AWS KMS key signs ES256');
    await expect(ring.getSigner('EdDSA')).rejects.toBeInstanceOf(TemporarilyUnavailable);
  });

  it('leaves rotation and revocation to KMS and the configuration', async () => {
    await expect(ring.rotateSigningKey('RS256')).rejects.toBeInstanceOf(Forbidden);
    const [key] = await ring.listKeys();
    await expect(ring.revokeSigningKey(key?.kid as string)).rejects.toMatchObject({
      errorCode: 'operation_not_supported',
    });
    expect(await ring.maintain({ now: Date.now(), rotationMs: 1, prepublishMs: 0 })).toEqual([]);
  });

  it('hands out signers that hold no private key', async () => {
    const signer = await ring.getSigner('RS256');
    expect(signer).toBeInstanceOf(KmsSigner);
    expect(() => signer.privateKey).toThrow(KmsSignerError);
  });

  it('answers 503 temporarily_unavailable when KMS cannot sign, and says why in the log', async () => {
    const keyId = await createKmsKey('ECC_NIST_P256');
    const local = await openKmsKeyRing({ client, signingKeys: [{ keyId, alg: undefined }] });
    kms.disableKey(keyId);
    const warnings: unknown[] = [];
    const logger = { warn: (obj: unknown) => warnings.push(obj) } as unknown as Parameters<
      typeof createKmsJwtSigner
    >[1]['logger'];
    const signer = createKmsJwtSigner('at+jwt', { client, logger });
    const err = await signer.sign(await local.getSigner('ES256'), claims()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporarilyUnavailable);
    expect((err as TemporarilyUnavailable).error).toBe('temporarily_unavailable');
    expect(JSON.stringify(warnings)).toContain('the key is disabled');
  });

  it('refuses a token longer than KMS signs with invalid_scope, which the client can narrow', async () => {
    const signer = createKmsJwtSigner('at+jwt', { client });
    const huge = JSON.stringify({
      scope: Array.from({ length: 400 }, (_, i) => `read:thing-${i}`).join(' '),
    });
    const err = await signer.sign(await ring.getSigner('RS256'), huge).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidScope);
    expect((err as Error).message).toContain('request fewer scopes');
  });

  it('refuses to sign with a key that is not a KMS key', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signer = createKmsJwtSigner('at+jwt', { client });
    await expect(signer.sign({ kid: 'local', alg: 'ES256', privateKey }, claims())).rejects.toMatchObject({
      code: 'ERR_KMS_SIGN',
    });
  });
});

describe('DER to JOSE ECDSA signatures', () => {
  it('gives the same r||s as node:crypto for many signatures, short r and s included', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    let padded = 0;
    // About 1 signature in 256 has a short r or s: go on until a few of them have been seen
    // (4,000 signatures leave a chance of about 1e-7 of seeing none).
    for (let i = 0; i < 4000 && (i < 400 || padded < 2); i++) {
      const data = Buffer.from(`message ${i}`);
      const der = sign('sha256', data, privateKey);
      const jose = convertDerToJoseSignature(der, 32);
      expect(jose).toHaveLength(64);
      // The converted pair verifies as JWS's ieee-p1363 encoding.
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose)).toBe(true);
      // SEQUENCE { INTEGER r, INTEGER s }: a content length under 32 is a short r or s. (der.length < 70
      // only sees one in 512: a short r next to a 33-byte s still makes 70.)
      const rLength = der[3]!;
      if (rLength < 32 || der[5 + rLength]! < 32) padded++;
    }
    // Some signatures have a short r or s (leading zero bytes stripped in DER).
    expect(padded).toBeGreaterThan(0);
  });

  it('matches ieee-p1363 output for a fixed signature', () => {
    // r = 1, s = 0x80 (needs a DER leading zero): SEQUENCE { INTEGER 01, INTEGER 00 80 }
    const der = Buffer.from([0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80]);
    const jose = convertDerToJoseSignature(der, 32);
    expect(jose.subarray(0, 32).equals(Buffer.concat([Buffer.alloc(31), Buffer.from([1])]))).toBe(true);
    expect(jose.subarray(32).equals(Buffer.concat([Buffer.alloc(31), Buffer.from([0x80])]))).toBe(true);
  });

  it.each([
    ['empty', []],
    ['not a sequence', [0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]],
    ['wrong length', [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]],
    ['trailing bytes', [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00]],
    ['negative integer', [0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01]],
    ['needless leading zero', [0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01]],
    ['zero-length integer', [0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x01]],
    ['integer too long', [0x30, 0x26, 0x02, 0x21, 0x01, ...Array(32).fill(1), 0x02, 0x01, 0x01]],
  ])('refuses a malformed signature: %s', (_name, bytes) => {
    expect(() => convertDerToJoseSignature(Buffer.from(bytes as number[]), 32)).toThrow(
      'KMS returned a malformed ECDSA signature',
    );
  });
});
