/**
 * The authorization server's Lambda handler, invoked directly with HTTP API (payload 2.0) events
 * against DynamoDB Local, with its key-encryption key wrapped by KMS: the real @aws-sdk/client-kms
 * talks to a local endpoint speaking the KMS JSON protocol (AWS_ENDPOINT_URL_KMS). The handler
 * module initializes from the environment at import, so each case imports a fresh copy.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { createDynamoDbStore, createKeyRing, openKmsKek } from '@gatehouse/server/lambda';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateKmsKek } from '../../../packages/server/src/keys/kms-kek.ts';
import { createStoreTable } from '../../../packages/server/src/store/dynamodb-table.ts';
import { type KmsEndpoint, startKmsEndpoint } from '../../../packages/server/src/testing/kms-endpoint.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../test/services/dynamodb-local.ts';

type Handler = (
  event: APIGatewayProxyEventV2,
  context: unknown,
) => Promise<APIGatewayProxyStructuredResultV2>;

const ISSUER = 'https://auth.example.test/';
const TABLE = 'gatehouse-handler-test';
const admin = { clientId: 'lambda-admin', clientSecret: randomBytes(32).toString('base64url') };
let dynamo: DynamoDbLocal;
let kms: KmsEndpoint;
let keyId: string;
let wrappedKek: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  kms = await startKmsEndpoint();
  keyId = kms.createKey();
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials });
  await createStoreTable({ table: TABLE, client });
  client.destroy();
  const kmsClient = new KMSClient({ endpoint: kms.url, region: 'us-east-1', credentials });
  wrappedKek = (await generateKmsKek({ client: kmsClient, keyId })).wrappedKek;
  kmsClient.destroy();
}, 90_000);

afterAll(async () => {
  process.env = savedEnv;
  await kms?.close();
  await dynamo?.stop();
});

/** Imports a fresh handler module configured by `env` (as a Lambda cold start would). */
async function coldStart(env: Record<string, string>): Promise<Handler> {
  vi.resetModules();
  process.env = {
    ...savedEnv,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_KMS: kms.url,
    GATEHOUSE_ISSUER: ISSUER,
    GATEHOUSE_DYNAMODB_TABLE: TABLE,
    GATEHOUSE_DYNAMODB_ENDPOINT: dynamo.endpoint,
    GATEHOUSE_LOG_LEVEL: 'silent',
    ...env,
  };
  const module = (await import('./authorization-server.ts')) as unknown as { handler: Handler };
  return module.handler;
}

function event(
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string } = {},
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'auth.example.test', ...init.headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'auth.example.test',
      domainPrefix: 'auth',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'test' },
      requestId: randomBytes(8).toString('hex'),
      routeKey: '$default',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    ...(init.body === undefined ? {} : { body: init.body }),
    isBase64Encoded: false,
  };
}

const kmsEnv = () => ({
  GATEHOUSE_KMS_KEY_ID: keyId,
  GATEHOUSE_KEK_WRAPPED: wrappedKek,
  GATEHOUSE_ADMIN_CLIENT_ID: admin.clientId,
  GATEHOUSE_ADMIN_CLIENT_SECRET: admin.clientSecret,
});

describe('the authorization server on Lambda', () => {
  it('unwraps its key-encryption key with KMS at cold start and serves discovery and JWKS', async () => {
    const before = kms.calls.filter((c) => c === 'Decrypt').length;
    const handler = await coldStart(kmsEnv());
    expect(kms.calls.filter((c) => c === 'Decrypt').length).toBe(before + 1);
    const discovery = await handler(event('GET', '/.well-known/openid-configuration'), {});
    expect(discovery.statusCode).toBe(200);
    expect(JSON.parse(discovery.body ?? '{}').issuer).toBe(ISSUER);
    const jwks = await handler(event('GET', '/.well-known/jwks.json'), {});
    expect(JSON.parse(jwks.body ?? '{}').keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256' });
  }, 60_000);

  it('issues a Management API token to the bootstrap admin, with keys that survive a new cold start', async () => {
    const token = async (handler: Handler) => {
      const res = await handler(
        event('POST', '/oauth/token', {
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${admin.clientId}:${admin.clientSecret}`).toString('base64')}`,
          },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            audience: `${ISSUER}api/v2/`,
          }).toString(),
        }),
        {},
      );
      expect(res.statusCode, res.body).toBe(200);
      return JSON.parse(res.body ?? '{}') as { access_token: string };
    };
    const first = await token(await coldStart(kmsEnv()));
    const second = await token(await coldStart(kmsEnv()));
    const kid = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString()).kid;
    expect(kid(second.access_token)).toBe(kid(first.access_token));
  }, 60_000);

  it('fails its cold start, naming the KMS key, when the wrapped key was made under another', async () => {
    const other = kms.createKey();
    await expect(coldStart({ ...kmsEnv(), GATEHOUSE_KMS_KEY_ID: other })).rejects.toMatchObject({
      code: 'ERR_KMS_KEK_OPEN',
      message: expect.stringContaining(other),
    });
  }, 60_000);

  it('fails its cold start when the key-encryption key does not match the stored signing keys', async () => {
    await expect(
      coldStart({
        GATEHOUSE_KEK: randomBytes(32).toString('base64url'),
        GATEHOUSE_ADMIN_CLIENT_ID: admin.clientId,
        GATEHOUSE_ADMIN_CLIENT_SECRET: admin.clientSecret,
      }),
    ).rejects.toMatchObject({ code: 'ERR_SIGNING_KEY_UNREADABLE' });
  }, 60_000);
});

async function adminToken(handler: Handler): Promise<string> {
  const res = await handler(
    event('POST', '/oauth/token', {
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${admin.clientId}:${admin.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        audience: `${ISSUER}api/v2/`,
      }).toString(),
    }),
    {},
  );
  expect(res.statusCode, res.body).toBe(200);
  return (JSON.parse(res.body ?? '{}') as { access_token: string }).access_token;
}

async function jwksOf(handler: Handler): Promise<{ keys: { kid: string; alg: string; kty: string }[] }> {
  const res = await handler(event('GET', '/.well-known/jwks.json'), {});
  expect(res.statusCode).toBe(200);
  return JSON.parse(res.body ?? '{}');
}

describe('key upkeep on Lambda, with no timer', () => {
  it('follows a rotation made by another instance once GATEHOUSE_SYNC_SECONDS have passed', async () => {
    const handler = await coldStart({ ...kmsEnv(), GATEHOUSE_SYNC_SECONDS: '1' });
    const before = (await jwksOf(handler)).keys.map((k) => k.kid);
    // Another instance (here: the store and key ring directly) rotates the RS256 key.
    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    const dynamoClient = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials });
    const kmsClient = new KMSClient({ endpoint: kms.url, region: 'us-east-1', credentials });
    const kek = await openKmsKek({ client: kmsClient, keyId, wrappedKek });
    const other = createKeyRing({ store: createDynamoDbStore({ table: TABLE, client: dynamoClient }), kek });
    const rotated = await other.rotateSigningKey('RS256');
    kmsClient.destroy();
    // The first invocation after the interval re-reads the keys (packages/server/src/lambda/
    // invocation-upkeep.test.ts shows, without waiting, that none does so earlier).
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const after = (await jwksOf(handler)).keys.map((k) => k.kid);
    expect(after).toContain(rotated.kid);
    expect(after.some((kid) => !before.includes(kid))).toBe(true);
    const token = await adminToken(handler);
    expect(decodeProtectedHeader(token).kid).toBe(rotated.kid);
    dynamoClient.destroy();
  }, 60_000);
});

describe('the authorization server on Lambda signing with AWS KMS', () => {
  it('signs with the KMS key, publishes only its public key, and never generates a private key', async () => {
    const signingKey = kms.createSigningKey('RSA_2048');
    const handler = await coldStart({
      ...kmsEnv(),
      GATEHOUSE_SIGNING: 'kms',
      GATEHOUSE_KMS_SIGNING_KEYS: signingKey,
    });
    const jwks = await jwksOf(handler);
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const signs = kms.calls.filter((c) => c === 'Sign').length;
    const token = await adminToken(handler);
    expect(kms.calls.filter((c) => c === 'Sign').length).toBe(signs + 1);
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: ISSUER,
      audience: `${ISSUER}api/v2/`,
      typ: 'at+jwt',
    });
    expect(payload.client_id).toBe(admin.clientId);
  }, 60_000);

  it('fails its cold start, naming the variable, when the KMS signing keys are missing', async () => {
    await expect(coldStart({ ...kmsEnv(), GATEHOUSE_SIGNING: 'kms' })).rejects.toThrow(
      'GATEHOUSE_KMS_SIGNING_KEYS is required with GATEHOUSE_SIGNING=kms',
    );
  }, 60_000);
});
