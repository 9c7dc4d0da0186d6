/**
 * The token client of a secretless calling service (`clientAssertion` instead of `clientSecret`)
 * against the real gatehouse server, whose federated credentials trust a real local
 * "Kubernetes" service-account issuer (discovery + JWKS over HTTP). Token requests are counted at
 * the wire by a proxy.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 * @see https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@gatehouse/server/testing';
import { startWorkloadIssuer, type WorkloadIssuer } from '@gatehouse/server/testing/workload-issuer';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TokenClientConfigError, TokenRequestError } from './errors.ts';
import { createEnvAssertionSource, createFileAssertionSource } from './federated-assertion.ts';
import { type CountingProxy, startCountingProxy } from './testing/counting-proxy.ts';
import { createTokenClient, type TokenClient, type TokenClientOptions } from './token-client.ts';

/** The audience the pods' projected tokens are requested for: gatehouse itself. */
const PLATFORM_AUDIENCE = 'https://gatehouse.test/';
let server: TestServer;
let proxy: CountingProxy;
let k8s: WorkloadIssuer;
let dir: string;
let api: { audience: string; clientId: string; clientSecret: string };
let shortApi: { audience: string; clientId: string; clientSecret: string };
const clients: TokenClient[] = [];

/** A projected token of the service account `payments/<name>`, claims as Kubernetes documents them. */
async function serviceAccountToken(name: string, audience = PLATFORM_AUDIENCE): Promise<string> {
  const t = Math.floor(Date.now() / 1000);
  return k8s.mint({
    aud: [audience],
    exp: t + 3600,
    iat: t,
    nbf: t,
    iss: k8s.issuer,
    jti: randomUUID(),
    'kubernetes.io': {
      namespace: 'payments',
      pod: { name: `${name}-5d8f-abc`, uid: randomUUID() },
      serviceaccount: { name, uid: randomUUID() },
    },
    sub: `system:serviceaccount:payments:${name}`,
  });
}

/** Writes the token the way the kubelet does: a new file, atomically renamed over the old one. */
async function project(path: string, token: string): Promise<void> {
  const next = `${path}.${randomUUID()}`;
  await writeFile(next, token);
  await rename(next, path);
}

async function trust(clientId: string, serviceAccount: string): Promise<string> {
  const res = await server.management('POST', `clients/${clientId}/credentials`, {
    credential_type: 'federated',
    issuer: k8s.issuer,
    subject: `system:serviceaccount:payments:${serviceAccount}`,
    audience: PLATFORM_AUDIENCE,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

function client(options: Partial<TokenClientOptions>, target = api): TokenClient {
  const c = createTokenClient({
    tokenEndpoint: `${proxy.url}/oauth/token`,
    audience: target.audience,
    retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    ...options,
  });
  clients.push(c);
  return c;
}

const tokenRequests = () => proxy.count('POST', '/oauth/token');

beforeAll(async () => {
  k8s = await startWorkloadIssuer();
  server = await startTestServer();
  proxy = await startCountingProxy(server.url);
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-projected-'));
  api = await server.createApiAndClient({ scopes: ['read:contacts'] });
  shortApi = await server.createApiAndClient({ scopes: ['read:contacts'], tokenLifetime: 3 });
  await trust(api.clientId, 'reader');
});

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

afterAll(async () => {
  await proxy?.close();
  await server?.close();
  await k8s?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('token client with a platform token instead of a secret', () => {
  it('gets a token from the projected token file, without client_id, and caches it like a secret client', async () => {
    const path = join(dir, 'reader');
    await project(path, await serviceAccountToken('reader'));
    const before = tokenRequests();
    const c = client({ clientAssertion: createFileAssertionSource(path) });
    const tokens = await Promise.all(Array.from({ length: 50 }, () => c.getToken()));
    expect(new Set(tokens).size).toBe(1);
    for (let i = 0; i < 200; i++) expect(await c.getToken()).toBe(tokens[0]);
    expect(tokenRequests() - before).toBe(1);
    expect(decodeJwt(tokens[0]!)).toMatchObject({
      iss: server.issuer,
      aud: api.audience,
      client_id: api.clientId,
      scope: 'read:contacts',
    });
  });

  it('renews with the rotated token file once the old platform identity is no longer trusted', async () => {
    const oldCredential = await trust(shortApi.clientId, 'rotating-old');
    await trust(shortApi.clientId, 'rotating-new');
    const path = join(dir, 'rotating');
    await project(path, await serviceAccountToken('rotating-old'));
    const c = client(
      { clientId: shortApi.clientId, clientAssertion: createFileAssertionSource(path) },
      shortApi,
    );
    const first = await c.getToken();
    // The platform rotates the file; the old identity is then removed, so only the new file works.
    await project(path, await serviceAccountToken('rotating-new'));
    const removed = await server.management(
      'DELETE',
      `clients/${shortApi.clientId}/credentials/${oldCredential}`,
    );
    expect(removed.status).toBe(204);
    const before = tokenRequests();
    let second = first;
    const deadline = Date.now() + 10_000;
    while (second === first && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      second = await c.getToken();
    }
    expect(second).not.toBe(first);
    expect(decodeJwt(second).client_id).toBe(shortApi.clientId);
    expect(tokenRequests() - before).toBe(1);
    const signIns = server.logs
      .map((line) => JSON.parse(line) as { msg?: string; subject?: string; clientId?: string })
      .filter((l) => l.msg === 'federated client authentication' && l.clientId === shortApi.clientId)
      .map((l) => l.subject);
    expect(signIns.slice(-2)).toEqual([
      'system:serviceaccount:payments:rotating-old',
      'system:serviceaccount:payments:rotating-new',
    ]);
  });

  it('reads the token from an environment variable and sends client_id when given', async () => {
    const env: Record<string, string | undefined> = { GATEHOUSE_TOKEN: await serviceAccountToken('reader') };
    const c = client({
      clientId: api.clientId,
      clientAssertion: createEnvAssertionSource('GATEHOUSE_TOKEN', env),
    });
    expect(decodeJwt(await c.getToken()).client_id).toBe(api.clientId);
  });

  it('takes any callback as the source, asking it again for each token request', async () => {
    let calls = 0;
    const c = client(
      {
        clientAssertion: async () => {
          calls++;
          return serviceAccountToken('reader');
        },
      },
      api,
    );
    await c.getToken();
    await c.getToken();
    expect(calls).toBe(1);
  });

  it('gets invalid_client, with one request and no echo of the token, for a platform token of the wrong audience', async () => {
    const wrong = await serviceAccountToken('reader', 'https://someone-else.test/');
    const before = tokenRequests();
    const error = await client({ clientAssertion: async () => wrong })
      .getToken()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error).toMatchObject({ status: 401, error: 'invalid_client' });
    expect(`${String(error)} ${JSON.stringify(error)}`).not.toContain(wrong);
    expect(tokenRequests() - before).toBe(1);
  });

  it('fails with a config error naming the missing token file, without a token request', async () => {
    const path = join(dir, 'not-projected');
    const before = tokenRequests();
    const error = await client({ clientAssertion: createFileAssertionSource(path) })
      .getToken()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenClientConfigError);
    expect((error as Error).message).toContain(path);
    expect(tokenRequests() - before).toBe(0);
  });

  it('refuses options with both or neither of clientSecret and clientAssertion, or authMethod with an assertion', () => {
    const source = async () => 'a.b.c';
    const base = { tokenEndpoint: 'http://127.0.0.1:1/oauth/token', clientId: 'a' };
    expect(() => createTokenClient({ ...base, clientSecret: 's', clientAssertion: source })).toThrow(
      /exactly one of clientSecret and clientAssertion/,
    );
    expect(() => createTokenClient(base)).toThrow(/exactly one of clientSecret and clientAssertion/);
    expect(() =>
      createTokenClient({ ...base, clientAssertion: source, authMethod: 'client_secret_post' }),
    ).toThrow(TokenClientConfigError);
    expect(() => createTokenClient({ tokenEndpoint: base.tokenEndpoint, clientSecret: 's' })).toThrow(
      /clientId is required/,
    );
    expect(() =>
      createTokenClient({ tokenEndpoint: base.tokenEndpoint, clientAssertion: '/var/run/token' as never }),
    ).toThrow(/clientAssertion must be a function/);
  });
});
