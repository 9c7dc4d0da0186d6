/**
 * A whole server with GATEHOUSE_SIGNING=kms: the real @aws-sdk/client-kms, configured from the
 * environment as in production (AWS_ENDPOINT_URL_KMS points it at the local KMS JSON-protocol
 * endpoint), signs every token, the Management API's included; jose and @gatehouse/authorizer
 * verify them over HTTP against the server's JWKS.
 */
import { readdir } from 'node:fs/promises';
import { KMSClient } from '@aws-sdk/client-kms';
import { createVerifier } from '@gatehouse/authorizer';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KmsEndpoint, startKmsEndpoint } from '../testing/kms-endpoint.ts';
import { startTestServer, type TestServer } from '../testing/start-test-server.ts';
import { generateKmsKek } from './kms-kek.ts';

let kms: KmsEndpoint;
let server: TestServer;
let rsaKey: string;
let ecKey: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  kms = await startKmsEndpoint();
  // What the AWS SDK reads by itself on AWS (region, credentials) or for a custom endpoint.
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'local-test-secret',
    AWS_ENDPOINT_URL_KMS: kms.url,
  });
  rsaKey = kms.createSigningKey('RSA_2048');
  ecKey = kms.createSigningKey('ECC_NIST_P256');
  kms.createAlias('gatehouse-es256', ecKey);
  server = await startTestServer({
    env: { GATEHOUSE_SIGNING: 'kms', GATEHOUSE_KMS_SIGNING_KEYS: `${rsaKey},ES256=alias/gatehouse-es256` },
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await kms?.close();
  process.env = savedEnv;
});

async function tokenRequest(clientId: string, clientSecret: string, audience: string): Promise<Response> {
  return fetch(`${server.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      audience,
    }),
  });
}

describe('a server signing with AWS KMS keys', () => {
  it('publishes only the KMS keys, public members only', async () => {
    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
      keys: Record<string, string>[];
    };
    expect(jwks.keys.map((k) => [k.kty, k.alg]).sort()).toEqual([
      ['EC', 'ES256'],
      ['RSA', 'RS256'],
    ]);
    for (const key of jwks.keys) {
      expect(Object.keys(key).sort()).toEqual(
        key.kty === 'RSA'
          ? ['alg', 'e', 'kid', 'kty', 'n', 'use']
          : ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'],
      );
    }
    expect(kms.calls).toContain('GetPublicKey');
  });

  it('issues tokens signed in KMS that jose and @gatehouse/authorizer verify', async () => {
    const { audience, clientId, clientSecret } = await server.createApiAndClient({ signingAlg: 'ES256' });
    const signs = kms.calls.filter((c) => c === 'Sign').length;
    const token = await server.getToken({ clientId, clientSecret, audience });
    expect(kms.calls.filter((c) => c === 'Sign').length).toBe(signs + 1);
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: server.issuer,
      audience,
      typ: 'at+jwt',
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.client_id).toBe(clientId);
    const verifier = createVerifier({ issuer: server.issuer, audience, backgroundRefresh: false });
    await expect(verifier.verify(token)).resolves.toMatchObject({ clientId });
  });

  it('signs the Management API tokens with the RS256 KMS key, and the server accepts them', async () => {
    const token = await server.managementToken();
    const header = decodeProtectedHeader(token);
    expect(header.alg).toBe('RS256');
    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string; alg: string }[];
    };
    expect(header.kid).toBe(jwks.keys.find((k) => k.alg === 'RS256')?.kid);
    const res = await server.management('GET', 'keys/signing');
    expect(res.status).toBe(200);
    const keys = (await res.json()) as { kid: string; current: boolean }[];
    expect(keys.map((k) => k.current)).toEqual([true, true]);
  });

  it('leaves rotation to KMS: the Management API refuses it with a reason', async () => {
    const res = await server.management('POST', 'keys/signing/rotate');
    expect(res.status).toBe(403);
    const body = (await res.json()) as { errorCode: string; message: string };
    expect(body.errorCode).toBe('operation_not_supported');
    expect(body.message).toContain('GATEHOUSE_KMS_SIGNING_KEYS');
  });

  it('refuses an API whose algorithm no KMS key signs', async () => {
    const res = await server.management('POST', 'resource-servers', {
      identifier: 'https://pss.example.test/',
      name: 'pss',
      signing_alg: 'PS256',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('no AWS KMS key signs PS256');
  });

  it('answers 503 temporarily_unavailable while KMS cannot sign, logging why and never the token', async () => {
    const { audience, clientId, clientSecret } = await server.createApiAndClient({ signingAlg: 'ES256' });
    kms.disableKey(ecKey);
    const res = await tokenRequest(clientId, clientSecret, audience);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toBe('temporarily_unavailable');
    const logs = server.logs.join('\n');
    expect(logs).toContain('the key is disabled');
    expect(logs).not.toContain(clientSecret);
  });
});

describe('a server misconfigured for KMS signing', () => {
  it('does not start without an RS256 key, saying so', async () => {
    const ec = kms.createSigningKey('ECC_NIST_P256');
    await expect(
      startTestServer({ env: { GATEHOUSE_SIGNING: 'kms', GATEHOUSE_KMS_SIGNING_KEYS: ec } }),
    ).rejects.toThrow('the Management API needs an RS256 key');
  });

  it('does not start with a key it may not use, naming the key', async () => {
    await expect(
      startTestServer({ env: { GATEHOUSE_SIGNING: 'kms', GATEHOUSE_KMS_SIGNING_KEYS: 'alias/missing' } }),
    ).rejects.toThrow('KMS key alias/missing: no such key');
  });
});

describe('a server whose key-encryption key is wrapped by AWS KMS', () => {
  it('unwraps it at start, keeps nothing in the data dir, and reopens its keys after a restart', async () => {
    const keyId = kms.createKey();
    const client = new KMSClient({ maxAttempts: 1 });
    const { wrappedKek } = await generateKmsKek({ client, keyId });
    client.destroy();
    const decrypts = () => kms.calls.filter((c) => c === 'Decrypt').length;
    const before = decrypts();
    const wrapped = await startTestServer({
      env: { GATEHOUSE_KMS_KEY_ID: keyId, GATEHOUSE_KEK_WRAPPED: wrappedKek },
    });
    try {
      expect(decrypts()).toBe(before + 1);
      const { audience, clientId, clientSecret } = await wrapped.createApiAndClient();
      await wrapped.getToken({ clientId, clientSecret, audience });
      expect(await readdir(wrapped.dataDir)).not.toContain('kek');
      // The same wrapped key opens the keys sealed before, and the client's secret still verifies.
      await wrapped.restart();
      expect(decrypts()).toBe(before + 2);
      await expect(wrapped.getToken({ clientId, clientSecret, audience })).resolves.toMatch(/^ey/);
    } finally {
      await wrapped.close();
    }
  });

  it('does not start when the wrapped key was made under another KMS key', async () => {
    const client = new KMSClient({ maxAttempts: 1 });
    const { wrappedKek } = await generateKmsKek({ client, keyId: kms.createKey() });
    client.destroy();
    const other = kms.createKey();
    await expect(
      startTestServer({ env: { GATEHOUSE_KMS_KEY_ID: other, GATEHOUSE_KEK_WRAPPED: wrappedKek } }),
    ).rejects.toThrow(other);
  });
});
