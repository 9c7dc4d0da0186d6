import { createPrivateKey } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { loadKek } from './keys/kek.ts';
import { ServerStartError, SQLITE_FILE_NAME, startServer } from './serve.ts';
import { createSqliteStore } from './store/sqlite-store.ts';
import { startTestServer, type TestServer } from './testing/start-test-server.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-serve-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function testServer(opts: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const server = await startTestServer(opts);
  cleanups.push(() => server.close());
  return server;
}

const capture = () => {
  const lines: string[] = [];
  return { lines, destination: { write: (s: string) => void lines.push(...s.split('\n').filter(Boolean)) } };
};

/** Every byte of every file in `dir`. */
async function readAllBytes(dir: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const name of await readdir(dir)) parts.push(await readFile(join(dir, name)));
  return Buffer.concat(parts);
}

describe('startServer', () => {
  it('keeps keys, clients and grants across a restart: a token issued before verifies after', async () => {
    const server = await testServer();
    const x = await server.createApiAndClient({ scopes: ['read:contacts'] });
    const before = await server.getToken(x);
    const kidsBefore = (
      (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }
    ).keys.map((k) => k.kid);

    await server.restart();

    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(before, jwks, {
      issuer: server.issuer,
      audience: x.audience,
      typ: 'at+jwt',
    });
    expect(payload.sub).toBe(x.clientId);
    const kidsAfter = (
      (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }
    ).keys.map((k) => k.kid);
    expect(kidsAfter).toEqual(kidsBefore);
    const after = await server.getToken(x);
    await jwtVerify(after, jwks, { issuer: server.issuer, audience: x.audience, typ: 'at+jwt' });
    expect((await server.management('GET', `clients/${x.clientId}`)).status).toBe(200);
  });

  it('stores no client secret, token or private key in the data dir or the logs', async () => {
    const server = await testServer({ keepDataDir: true });
    const a = await server.createApiAndClient();
    const b = await server.createApiAndClient({ signingAlg: 'ES256' });
    const rotated = (await (
      await server.management('POST', `clients/${b.clientId}/rotate-secret`)
    ).json()) as {
      client_secret: string;
    };
    const tokens = [
      await server.getToken(a),
      await server.getToken({ ...b, clientSecret: rotated.client_secret }),
    ];
    // Failed attempts with a secret in the body and in Basic must not reach the logs either.
    await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${a.clientId}&client_secret=${a.clientSecret}x&audience=nope`,
    });
    const secrets = [
      a.clientSecret,
      b.clientSecret,
      rotated.client_secret,
      server.admin.clientSecret,
      await server.managementToken(),
      ...tokens,
    ];

    const dir = server.dataDir;
    const logs = server.logs.join('\n');
    await server.close();
    cleanups.pop();

    const store = createSqliteStore({ file: join(dir, SQLITE_FILE_NAME) });
    const kek = await loadKek({ dataDir: dir });
    const privateForms: string[] = [];
    for (const key of await store.listSigningKeys()) {
      const der = kek.open(key.encryptedPrivateKey, key.kid);
      const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const jwk = privateKey.export({ format: 'jwk' });
      privateForms.push(der.toString('base64'), der.toString('hex'), pem.split('\n')[1]!, jwk.d!);
      privateForms.push(der.subarray(0, 64).toString('latin1'));
    }
    await store.close();
    expect(privateForms.length).toBeGreaterThanOrEqual(10);

    const bytes = await readAllBytes(dir);
    const text = bytes.toString('latin1');
    for (const secret of [...secrets, ...privateForms]) {
      expect(text.includes(secret), 'data dir').toBe(false);
      expect(logs.includes(secret), 'logs').toBe(false);
    }
    expect(logs).toContain('"route":"/oauth/token"');
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one log line per request without query strings, bodies or headers', async () => {
    const server = await testServer();
    const x = await server.createApiAndClient();
    server.logs.length = 0;
    await server.getToken(x);
    await fetch(`${server.url}/healthz?probe=secret-looking-value`);
    const requests = server.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'request');
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({
      method: 'POST',
      route: '/oauth/token',
      status: 200,
      client_id: x.clientId,
    });
    expect(typeof requests[0]!.duration_ms).toBe('number');
    expect(requests[1]).toMatchObject({ method: 'GET', route: '/healthz', status: 200 });
    expect(server.logs.join('\n')).not.toMatch(/secret-looking-value|authorization|grant_type/i);
  });

  it('generates the admin client once, returns its secret to the caller only, and finds it again on restart', async () => {
    const dir = await tempDir();
    // A fixed issuer: with port 0 alone, each start would derive a new one (and a new Management API audience).
    const env = { GATEHOUSE_PORT: '0', GATEHOUSE_DATA_DIR: dir, GATEHOUSE_ISSUER: 'http://gatehouse.test/' };
    const log = capture();
    const first = await startServer(loadConfig(env), { logDestination: log.destination });
    cleanups.push(() => first.close());
    expect(first.adminCredentials).toMatchObject({ generated: true });
    const { clientId, clientSecret } = first.adminCredentials!;
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const res = await fetch(`${first.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        audience: `${first.issuer}api/v2/`,
      }),
    });
    expect(res.status).toBe(200);
    const scope = ((await res.json()) as { scope: string }).scope.split(' ');
    expect(scope).toEqual(
      expect.arrayContaining([
        'read:clients',
        'create:clients',
        'delete:resource_servers',
        'blacklist:tokens',
        'read:logs',
        'read:signing_keys',
      ]),
    );
    await first.close();
    cleanups.pop();

    const second = await startServer(loadConfig(env), { logDestination: log.destination });
    cleanups.push(() => second.close());
    expect(second.adminCredentials).toBeUndefined();
    expect(log.lines.join('\n')).not.toContain(clientSecret);
  });

  it('takes the admin secret from the environment, replacing a changed one', async () => {
    const dir = await tempDir();
    const env = (secret: string) => ({
      GATEHOUSE_PORT: '0',
      GATEHOUSE_DATA_DIR: dir,
      GATEHOUSE_ADMIN_CLIENT_ID: 'ops-admin',
      GATEHOUSE_ADMIN_CLIENT_SECRET: secret,
    });
    const token = (url: string, issuer: string, secret: string) =>
      fetch(`${url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'ops-admin',
          client_secret: secret,
          audience: `${issuer}api/v2/`,
        }),
      });
    const log = capture();
    const first = await startServer(loadConfig(env('a'.repeat(40))), { logDestination: log.destination });
    cleanups.push(() => first.close());
    expect(first.adminCredentials).toEqual({
      clientId: 'ops-admin',
      clientSecret: 'a'.repeat(40),
      generated: false,
    });
    expect((await token(first.url, first.issuer, 'a'.repeat(40))).status).toBe(200);
    await first.close();
    const second = await startServer(loadConfig(env('b'.repeat(40))), { logDestination: log.destination });
    cleanups.push(() => second.close());
    expect((await token(second.url, second.issuer, 'b'.repeat(40))).status).toBe(200);
    expect((await token(second.url, second.issuer, 'a'.repeat(40))).status).toBe(401);
    expect(log.lines.join('\n')).not.toMatch(/aaaaaaaaaa|bbbbbbbbbb/);
  });

  it('derives the issuer from the port picked for port 0, and keeps an explicit one', async () => {
    const dir = await tempDir();
    const log = capture();
    const derived = await startServer(loadConfig({ GATEHOUSE_PORT: '0', GATEHOUSE_DATA_DIR: dir }), {
      logDestination: log.destination,
    });
    cleanups.push(() => derived.close());
    expect(derived.issuer).toBe(`${derived.url}/`);
    expect(derived.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const meta = (await (await fetch(`${derived.url}/.well-known/oauth-authorization-server`)).json()) as {
      issuer: string;
    };
    expect(meta.issuer).toBe(derived.issuer);
    await derived.close();
    cleanups.pop();

    const explicit = await startServer(
      loadConfig({
        GATEHOUSE_PORT: '0',
        GATEHOUSE_DATA_DIR: dir,
        GATEHOUSE_ISSUER: 'https://auth.example.com/',
      }),
      { logDestination: log.destination },
    );
    cleanups.push(() => explicit.close());
    expect(explicit.issuer).toBe('https://auth.example.com/');
  });

  it('fails with ServerStartError naming the address when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as { port: number }).port;
    const dir = await tempDir();
    const attempt = startServer(loadConfig({ GATEHOUSE_PORT: String(port), GATEHOUSE_DATA_DIR: dir }), {
      logDestination: capture().destination,
    });
    await expect(attempt).rejects.toBeInstanceOf(ServerStartError);
    await expect(attempt).rejects.toThrow(`127.0.0.1:${port}`);
  });

  it('stops accepting connections on close, and close can be called twice', async () => {
    const dir = await tempDir();
    const server = await startServer(loadConfig({ GATEHOUSE_PORT: '0', GATEHOUSE_DATA_DIR: dir }), {
      logDestination: capture().destination,
    });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    await Promise.all([server.close(), server.close()]);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});

describe('startServer with the wrong key-encryption key', () => {
  it('refuses to start, naming the problem and not the key', async () => {
    const dir = await tempDir();
    const kekA = Buffer.alloc(32, 1).toString('base64url');
    const kekB = Buffer.alloc(32, 2).toString('base64url');
    const first = await startServer(
      loadConfig({ GATEHOUSE_PORT: '0', GATEHOUSE_DATA_DIR: dir, GATEHOUSE_KEK: kekA }),
      {
        logDestination: capture().destination,
      },
    );
    await first.close();
    const attempt = startServer(
      loadConfig({ GATEHOUSE_PORT: '0', GATEHOUSE_DATA_DIR: dir, GATEHOUSE_KEK: kekB }),
      {
        logDestination: capture().destination,
      },
    );
    await expect(attempt).rejects.toThrow(/cannot be decrypted/);
    await expect(attempt).rejects.not.toThrow(kekB);
  });
});
