/**
 * A secretless calling service: its platform token (a Kubernetes projected service-account token
 * in a file the kubelet rotates) is the client assertion at a real gatehouse server, whose
 * federated credential trusts a real local issuer (discovery + JWKS over HTTP).
 * @see https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@gatehouse/server/testing';
import { startWorkloadIssuer, type WorkloadIssuer } from '@gatehouse/server/testing/workload-issuer';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenClientConfigError, TokenRequestError } from './errors.ts';
import {
  createEnvAssertionSource,
  createFileAssertionSource,
  requestFederatedToken,
} from './federated-assertion.ts';
import { startOidcProviderIssuer } from './testing/oidc-provider-issuer.ts';

const AUDIENCE = 'https://gatehouse.test/';
let server: TestServer;
let k8s: WorkloadIssuer;
let api: { audience: string; clientId: string };
let dir: string;

/** A projected service-account token of `payments/writer`, as the kubelet writes it. */
async function mintServiceAccountToken(lifetime = 3600): Promise<string> {
  const t = Math.floor(Date.now() / 1000);
  return k8s.mint({
    aud: [AUDIENCE],
    exp: t + lifetime,
    iat: t,
    nbf: t,
    iss: k8s.issuer,
    jti: randomUUID(),
    'kubernetes.io': {
      namespace: 'payments',
      pod: { name: 'writer-5d8f-abc', uid: randomUUID() },
      serviceaccount: { name: 'writer', uid: randomUUID() },
    },
    sub: 'system:serviceaccount:payments:writer',
  });
}

/** Writes the token the way the kubelet does: a new file, atomically renamed over the old one. */
async function rotate(path: string, token: string): Promise<void> {
  const next = `${path}.${randomUUID()}`;
  await writeFile(next, token);
  await rename(next, path);
}

beforeAll(async () => {
  k8s = await startWorkloadIssuer();
  server = await startTestServer();
  api = await server.createApiAndClient({ scopes: ['write:contacts'] });
  const res = await server.management('POST', `clients/${api.clientId}/credentials`, {
    credential_type: 'federated',
    issuer: k8s.issuer,
    subject: 'system:serviceaccount:payments:writer',
    audience: AUDIENCE,
  });
  expect(res.status).toBe(201);
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-projected-'));
});

afterAll(async () => {
  await server?.close();
  await k8s?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('federated client assertion from a platform token', () => {
  it('gets an access token with the token from a projected volume file, and re-reads it when rotated', async () => {
    const path = join(dir, 'gatehouse');
    const first = await mintServiceAccountToken();
    await rotate(path, first);
    const sent: string[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      sent.push(new URLSearchParams(String(init?.body)).get('client_assertion') ?? '');
      return fetch(input, init);
    };
    const source = createFileAssertionSource(path);
    const request = {
      tokenEndpoint: `${server.url}/oauth/token`,
      assertion: source,
      audience: api.audience,
      fetch: recordingFetch,
    };

    const one = await requestFederatedToken(request);
    expect(decodeJwt(one.access_token)).toMatchObject({ client_id: api.clientId, scope: 'write:contacts' });
    await requestFederatedToken(request);
    const second = await mintServiceAccountToken();
    await rotate(path, second);
    await requestFederatedToken(request);
    expect(sent).toEqual([first, first, second]);
  });

  it('reads the file again when the copy in memory nears its exp, even if the file looks unchanged', async () => {
    const path = join(dir, 'near-expiry');
    const a = await mintServiceAccountToken(600);
    const b = await mintServiceAccountToken(600);
    expect(b.length).toBe(a.length);
    await writeFile(path, a);
    const mtime = new Date(1_700_000_000_000);
    await utimes(path, mtime, mtime);
    let clock = Date.now();
    const source = createFileAssertionSource(path, { refreshBeforeExpirySeconds: 60, now: () => clock });
    expect(await source()).toBe(a);
    // Same inode, size and mtime: the file looks unchanged to stat.
    await writeFile(path, b);
    await utimes(path, mtime, mtime);
    expect(await source()).toBe(a);
    clock += 550_000; // within 60 s of exp
    expect(await source()).toBe(b);
  });

  it('reads the token from an environment variable on each request', async () => {
    const env: Record<string, string | undefined> = {
      GATEHOUSE_CLIENT_ASSERTION: await mintServiceAccountToken(),
    };
    const source = createEnvAssertionSource('GATEHOUSE_CLIENT_ASSERTION', env);
    const answer = await requestFederatedToken({
      tokenEndpoint: `${server.url}/oauth/token`,
      assertion: source,
      audience: api.audience,
    });
    expect(answer.token_type).toBe('Bearer');
    env.GATEHOUSE_CLIENT_ASSERTION = undefined;
    await expect(source()).rejects.toThrow('the environment variable GATEHOUSE_CLIENT_ASSERTION is not set');
  });

  it('says which file is missing or empty, never the token', async () => {
    await expect(createFileAssertionSource(join(dir, 'absent'))()).rejects.toThrow(
      new TokenClientConfigError(`cannot read the platform token file ${join(dir, 'absent')} (ENOENT)`),
    );
    const empty = join(dir, 'empty');
    await writeFile(empty, '\n');
    await expect(createFileAssertionSource(empty)()).rejects.toThrow('is empty');
  });

  it('surfaces invalid_client when the platform token is not trusted', async () => {
    const t = Math.floor(Date.now() / 1000);
    const stranger = await k8s.mint({
      iss: k8s.issuer,
      sub: 'system:serviceaccount:other:x',
      aud: AUDIENCE,
      iat: t,
      exp: t + 60,
    });
    const err = await requestFederatedToken({
      tokenEndpoint: `${server.url}/oauth/token`,
      assertion: async () => stranger,
      audience: api.audience,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenRequestError);
    expect(err).toMatchObject({ status: 401, error: 'invalid_client' });
  });

  it('accepts an access token of oidc-provider, a real OIDC issuer, as the assertion', async () => {
    const provider = await startOidcProviderIssuer({
      clientId: 'batch-job',
      clientSecret: 'oidc-provider-client-secret-0123456789-abcdefghijklmnop',
      resource: AUDIENCE,
      scopes: 'gatehouse',
      accessTokenTtlSeconds: 600,
    });
    try {
      const client = await server.createApiAndClient();
      const res = await server.management('POST', `clients/${client.clientId}/credentials`, {
        credential_type: 'federated',
        issuer: `${provider.issuer}/.well-known/openid-configuration`,
        subject: 'batch-job',
        audience: AUDIENCE,
      });
      expect(res.status).toBe(201);
      // The workload's "platform": a client-credentials JWT access token from oidc-provider.
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        resource: AUDIENCE,
        scope: 'gatehouse',
      });
      const issued = await fetch(`${provider.issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from('batch-job:oidc-provider-client-secret-0123456789-abcdefghijklmnop').toString('base64')}`,
        },
        body: form.toString(),
      });
      const platformToken = ((await issued.json()) as { access_token: string }).access_token;
      expect(decodeJwt(platformToken)).toMatchObject({
        iss: provider.issuer,
        sub: 'batch-job',
        aud: AUDIENCE,
      });
      const answer = await requestFederatedToken({
        tokenEndpoint: `${server.url}/oauth/token`,
        assertion: async () => platformToken,
        audience: client.audience,
        clientId: client.clientId,
      });
      expect(decodeJwt(answer.access_token).client_id).toBe(client.clientId);
    } finally {
      await provider.close();
    }
  });
});
