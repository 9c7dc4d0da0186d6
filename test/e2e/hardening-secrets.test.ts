/**
 * Secrets never leak (issue 11). The whole test run is scanned: every `startTestServer` checks at
 * `close()` its log lines, every answer it gave (error bodies, metrics pages, JWKS, headers; a
 * token or client-secret answer only beyond the secret it delivers) and its store (SQLite files,
 * PostgreSQL rows, DynamoDB items) for every secret, token and key it made, in plain, base64 and
 * hex; the suites that spawn bins scan their output (`packages/server/src/testing/secret-scan*.ts`).
 *
 * This file runs one server through every way a request can carry a secret and lets that scan
 * pass, and proves the scan fails: leaks planted in an answer, the store, and log lines are each
 * caught and named by kind and place, never by value.
 */

import { startTestServer, type TestServer } from '@gatehouse/server/testing';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../packages/server/src/config.ts';
import {
  readSigningPrivateKeys,
  storeLocationOf,
} from '../../packages/server/src/testing/secret-scan-store.ts';
import { createTestDatabase } from '../services/postgres.ts';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const form = (fields: Record<string, string>, authorization?: string) => ({
  method: 'POST',
  headers: {
    'content-type': 'application/x-www-form-urlencoded',
    ...(authorization === undefined ? {} : { authorization }),
  },
  body: new URLSearchParams(fields),
});

it('leaves no secret or token in logs, answers, metrics or store files', async () => {
  const server = await startTestServer();
  const client = await server.createApiAndClient({ scopes: ['read:x'] });
  const rotated = await server.management('POST', `clients/${client.clientId}/rotate-secret`, {});
  const secret = ((await rotated.json()) as { client_secret: string }).client_secret;
  const token = await server.getToken({ ...client, clientSecret: secret });
  const { clientId, audience } = client;

  // Failures carrying secrets and tokens in every place a request can hold them.
  const sent = [
    fetch(
      `${server.url}/oauth/token`,
      form({ grant_type: 'client_credentials', client_id: clientId, client_secret: `${secret}x`, audience }),
    ),
    fetch(
      `${server.url}/oauth/token`,
      form({ grant_type: 'client_credentials', audience: 'nope' }, basic(clientId, secret)),
    ),
    fetch(
      `${server.url}/oauth/token`,
      form({ grant_type: 'password', client_id: clientId, client_secret: secret, scope: token }),
    ),
    fetch(
      `${server.url}/oauth/introspect`,
      form({ client_id: clientId, client_secret: secret, token: `${token}x` }),
    ),
    fetch(`${server.url}/oauth/introspect`, form({ client_id: clientId, client_secret: secret, token })),
    fetch(`${server.url}/api/v2/clients?q=${encodeURIComponent(secret)}`, {
      headers: { authorization: `Bearer ${token}` },
    }),
    fetch(`${server.url}/api/v2/clients/${encodeURIComponent(secret)}`, {
      headers: { authorization: `Bearer ${await server.managementToken()}` },
    }),
    server.management('PATCH', `clients/${clientId}`, { name: 1, client_secret: secret }),
    fetch(`${server.url}/oauth/revoke`, form({ client_id: clientId, client_secret: secret, token })),
    fetch(`${server.url}/nothing/${encodeURIComponent(token)}`),
    fetch(`${server.url}/.well-known/jwks.json`),
  ];
  for (const res of await Promise.all(sent)) await res.text();
  expect(await (await fetch(`${server.url}/metrics`)).text()).toContain('gatehouse_');
  expect(server.logs.length).toBeGreaterThan(10);

  // The scan at close: every log line, every answer above, the store files.
  await expect(server.close()).resolves.toBeUndefined();
});

describe.each(['SQLite', 'PostgreSQL'])('the secret scan of a test server on %s', (backend) => {
  it('fails naming kind and place, never the value, for leaks planted in an answer, the store and the log', async () => {
    const db = backend === 'PostgreSQL' ? await createTestDatabase({ prefix: 'gatehouse_scan' }) : undefined;
    const env: Record<string, string> =
      db === undefined ? {} : { GATEHOUSE_STORE: 'postgres', GATEHOUSE_DATABASE_URL: db.connectionString };
    let server: TestServer | undefined;
    try {
      server = await startTestServer({ env });
      const victim = await server.createApiAndClient();
      const token = await server.getToken(victim);
      // A client named after another's secret: its create answer shows it and the store keeps it.
      const planted = await server.management('POST', 'clients', { name: victim.clientSecret });
      expect(planted.status).toBe(201);
      // Log lines a careless server might write: a token, a signing key's JWK `d`, its PEM.
      const location = storeLocationOf(loadConfig({ ...env, GATEHOUSE_DATA_DIR: server.dataDir }));
      const [key] = await readSigningPrivateKeys(location);
      const pem = key!.export({ format: 'pem', type: 'pkcs8' }).toString();
      server.logs.push(
        JSON.stringify({ msg: 'issued', token }),
        JSON.stringify({ msg: 'key', d: key!.export({ format: 'jwk' }).d }),
        JSON.stringify({ msg: 'key', pem }),
      );

      const failure = server.close();
      server = undefined;
      await expect(failure).rejects.toThrow('client secret in the answer to POST /api/v2/clients (201)');
      const message = await failure.catch((error: Error) => error.message);
      expect(message).toMatch(
        db === undefined
          ? /client secret in the store file gatehouse\.db/
          : /client secret in PostgreSQL table clients, row \d+/,
      );
      expect(message).toMatch(/access token in the server log, line \d+/);
      expect(message).toMatch(/signing private key in the server log, line \d+/);
      expect(message).toMatch(/a PEM private key in the server log, line \d+/);
      for (const value of [victim.clientSecret, token, pem.split('\n')[1]!])
        expect(message).not.toContain(value);
    } finally {
      await server?.close().catch(() => {});
      await db?.drop();
    }
  });
});
