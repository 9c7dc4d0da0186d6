/**
 * Secrets never leak: a run that creates clients, rotates secrets, takes tokens, fails on purpose
 * and revokes, then scans every log line, every answer body, the metrics page and the store files
 * (database, WAL, shared memory) for every secret and token it made, in plain, base64 and hex.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@gatehouse/server/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** The encodings a secret could take on its way into a file or a line. */
const forms = (secret: string) => [
  secret,
  Buffer.from(secret).toString('base64'),
  Buffer.from(secret).toString('base64url'),
  Buffer.from(secret).toString('hex'),
];

it('leaves no secret or token in logs, answers, metrics or store files', async () => {
  const secrets: string[] = [server.admin.clientSecret];
  const tokens: string[] = [await server.managementToken()];
  const bodies: string[] = [];
  const record = async (res: Response) => {
    const text = await res.text();
    bodies.push(text);
    return text;
  };

  const client = await server.createApiAndClient({ scopes: ['read:x'] });
  secrets.push(client.clientSecret);
  const rotated = await server.management('POST', `clients/${client.clientId}/rotate-secret`, {});
  const newSecret = ((await rotated.json()) as { client_secret: string }).client_secret;
  secrets.push(newSecret);
  const token = await server.getToken({ ...client, clientSecret: newSecret });
  tokens.push(token);

  // Failures carrying secrets and tokens in every place a request can hold them.
  const form = (extra: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(extra),
  });
  await record(
    await fetch(
      `${server.url}/oauth/token`,
      form({
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: `${newSecret}x`,
        audience: client.audience,
      }),
    ),
  );
  await record(
    await fetch(`${server.url}/oauth/token`, {
      ...form({ grant_type: 'client_credentials', audience: 'nope' }),
      headers: {
        authorization: basic(client.clientId, newSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
    }),
  );
  await record(
    await fetch(
      `${server.url}/oauth/token`,
      form({ grant_type: 'password', client_id: client.clientId, client_secret: newSecret, scope: token }),
    ),
  );
  await record(
    await fetch(
      `${server.url}/oauth/introspect`,
      form({ client_id: client.clientId, client_secret: newSecret, token: `${token}x` }),
    ),
  );
  await record(
    await fetch(
      `${server.url}/oauth/introspect`,
      form({ client_id: client.clientId, client_secret: newSecret, token }),
    ),
  );
  await record(
    await fetch(`${server.url}/api/v2/clients?q=${encodeURIComponent(newSecret)}`, {
      headers: { authorization: `Bearer ${token}` },
    }),
  );
  await record(
    await fetch(`${server.url}/api/v2/clients/${encodeURIComponent(newSecret)}`, {
      headers: { authorization: `Bearer ${await server.managementToken()}` },
    }),
  );
  await record(
    await server.management('PATCH', `clients/${client.clientId}`, { name: 1, client_secret: newSecret }),
  );
  await record(
    await fetch(
      `${server.url}/oauth/revoke`,
      form({ client_id: client.clientId, client_secret: newSecret, token }),
    ),
  );
  await record(await fetch(`${server.url}/nothing/${encodeURIComponent(token)}`));
  const metrics = await record(await fetch(`${server.url}/metrics`));
  expect(metrics).toContain('gatehouse_');

  const files: Array<[string, string]> = [];
  for (const name of await readdir(server.dataDir)) {
    if (name === 'kek') continue;
    files.push([name, (await readFile(join(server.dataDir, name))).toString('latin1')]);
  }
  expect(files.map(([n]) => n)).toContain('gatehouse.db');
  const kek = (await readFile(join(server.dataDir, 'kek'), 'utf8')).trim();

  const places: Array<[string, string]> = [
    ...server.logs.map((l, i): [string, string] => [`log line ${i}`, l]),
    ...bodies.map((b, i): [string, string] => [`answer ${i}`, b]),
    ...files,
  ];
  const needles = [...secrets, ...tokens, kek].flatMap(forms);
  // Token signatures alone are secret enough to look for too.
  needles.push(...tokens.map((t) => t.split('.')[2]!));
  for (const [where, text] of places) {
    for (const needle of needles)
      expect(text.includes(needle), `${where} holds a secret or token`).toBe(false);
    expect(text, where).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  }
  expect(server.logs.length).toBeGreaterThan(10);
});
