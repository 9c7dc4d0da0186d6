import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm } from '../../testing/oauth-requests.ts';
import { runCli } from '../../testing/run-cli.ts';
import { type ApiAndClient, startTestServer, type TestServer } from '../../testing/start-test-server.ts';
import { createUlid } from '../../token/ulid.ts';

describe('gatehouse clients rotate-secret --grace and clients credentials', () => {
  let server: TestServer;
  let app: ApiAndClient;
  let dir: string;
  beforeAll(async () => {
    server = await startTestServer();
    app = await server.createApiAndClient();
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-cred-'));
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('rotates a secret with a grace period: both secrets work, and it says until when', async () => {
    const run = await runCli(server, ['clients', 'rotate-secret', app.clientId, '--grace', '3600']);
    expect(run.code, run.stderr).toBe(0);
    const fresh = /^client_secret\s+(\S+)$/m.exec(run.stdout)?.[1];
    expect(fresh).toMatch(/^[\w-]{43}$/);
    const until = /The previous secret keeps working until (\S+)\.$/m.exec(run.stdout)?.[1];
    expect(Date.parse(until!)).toBeGreaterThan(Date.now() + 3_500_000);
    expect(run.stderr).toMatch(/shown once/);
    await server.getToken(app);
    await server.getToken({ ...app, clientSecret: fresh! });
    const bad = await runCli(server, ['clients', 'rotate-secret', app.clientId, '--grace', 'soon']);
    expect(bad.code).toBe(2);
    const tooLong = await runCli(server, ['clients', 'rotate-secret', app.clientId, '--grace', '2592001']);
    expect(tooLong.code).toBe(2);
  });

  it('adds, lists and deletes a public key; the client authenticates with it in between', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pub = join(dir, 'client.pub');
    await writeFile(pub, publicKey.export({ type: 'spki', format: 'pem' }));
    const added = await runCli(server, [
      'clients',
      'credentials',
      'add',
      app.clientId,
      '--pem-file',
      pub,
      '--name',
      'ci',
    ]);
    expect(added.code, added.stderr).toBe(0);
    const id = /^id\s+(cred_\w+)$/m.exec(added.stdout)?.[1];
    expect(id).toBeDefined();
    expect(added.stdout).toMatch(/^alg\s+ES256$/m);
    const listed = await runCli(server, ['clients', 'credentials', 'list', app.clientId]);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+ci\\s+ES256\\s+`, 'm'));

    const token = async () =>
      postForm(`${server.url}/oauth/token`, {
        grant_type: 'client_credentials',
        audience: app.audience,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await new SignJWT({
          iss: app.clientId,
          sub: app.clientId,
          aud: server.issuer,
          jti: createUlid(),
        })
          .setProtectedHeader({ alg: 'ES256' })
          .setExpirationTime('1m')
          .sign(privateKey),
      });
    expect((await token()).status).toBe(200);

    const deleted = await runCli(server, ['clients', 'credentials', 'delete', app.clientId, id!]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await token()).status).toBe(401);
    expect((await runCli(server, ['clients', 'credentials', 'list', app.clientId])).stdout).toBe(
      'No credentials.',
    );
  });

  it('never sends a private key, and asks for exactly one source', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const file = join(dir, 'client.key');
    await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const refused = await runCli(server, ['clients', 'credentials', 'add', app.clientId, '--pem-file', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/private key/);
    expect((await runCli(server, ['clients', 'credentials', 'add', app.clientId])).code).toBe(2);
    const json = await runCli(server, ['clients', 'credentials', 'list', app.clientId, '--json']);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });
});
