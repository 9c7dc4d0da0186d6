import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthorizer } from '@gatehouse/authorizer';
import { createTokenClient } from '@gatehouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../testing/run-cli.ts';
import { startTestServer, type TestServer } from '../../testing/start-test-server.ts';

const FIXTURE = new URL('./fixtures/auth0-tenant-export.json', import.meta.url).pathname;
const CONTACTS = 'https://contacts.example.com';

interface ImportJson {
  dry_run: boolean;
  apis: { action: string; label: string; notes: string[] }[];
  clients: { action: string; auth0Id: string; existingId?: string }[];
  grants: { action: string; label: string }[];
  skipped: { kind: string; label: string; reason: string }[];
  conflicts: string[];
  created_clients?: { name: string; auth0_client_id: string; client_id: string; client_secret?: string }[];
}

let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-import-'));
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

async function managementList(path: string): Promise<Record<string, unknown>[]> {
  return (await (await server.management('GET', path)).json()) as Record<string, unknown>[];
}

describe('gatehouse import auth0', () => {
  it('plans a dry run without writing anything, and says what it would skip and change', async () => {
    const run = await runCli(server, ['import', 'auth0', FIXTURE, '--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Auth0 import (dry run: nothing written)');
    expect(run.stdout).toMatch(
      /https:\/\/contacts\.example\.com\s+read:contacts write:contacts\s+would create/,
    );
    expect(run.stdout).toContain('signing_alg HS256 becomes RS256');
    expect(run.stdout).toContain('token_lifetime 604800s shortened to 86400s');
    expect(run.stdout).toContain(
      "API https://contacts-demo.eu.auth0.com/api/v2/: Auth0's own API (is_system)",
    );
    expect(run.stdout).toContain(
      "client All Applications (5Rt0FvKq9ZxA3mWb7YcN2pLd8HsJ4gUe): Auth0's global client",
    );
    expect(run.stdout).toContain(
      'client Contacts SPA (Ub8Yd2Qe6Rf0Tg4Wh7Xi1Zj5Ak9Bl3Cm): not a machine-to-machine client',
    );
    expect(run.stdout).not.toContain('auth0-read-service-secret');
    const apis = await managementList('resource-servers');
    expect(apis.map((a) => a.identifier)).not.toContain(CONTACTS);
  });

  it('creates the APIs, clients and grants with new secrets written to a 0600 file, then the story runs on gatehouse', async () => {
    const secretsPath = join(dir, 'secrets.json');
    const run = await runCli(server, ['import', 'auth0', FIXTURE, '--secrets-file', secretsPath]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`New client secrets written to ${secretsPath} (mode 0600)`);
    expect((await stat(secretsPath)).mode & 0o777).toBe(0o600);
    const secrets = JSON.parse(await readFile(secretsPath, 'utf8')) as {
      name: string;
      auth0_client_id: string;
      client_id: string;
      client_secret: string;
    }[];
    expect(secrets.map((s) => s.name).sort()).toEqual([
      'API Explorer Application',
      'Read Service',
      'Write Service',
    ]);
    for (const s of secrets) {
      expect(s.client_secret).not.toMatch(/^auth0-/);
      expect(run.stdout).not.toContain(s.client_secret);
    }

    const apis = await managementList('resource-servers');
    const contacts = apis.find((a) => a.identifier === CONTACTS);
    expect(contacts).toMatchObject({ name: 'Contacts API', token_lifetime: 86400, signing_alg: 'RS256' });
    expect(apis.find((a) => a.identifier === 'https://billing.example.com')).toMatchObject({
      signing_alg: 'RS256',
      token_lifetime: 86400,
    });
    const reader = secrets.find((s) => s.name === 'Read Service')!;
    const writer = secrets.find((s) => s.name === 'Write Service')!;
    const clients = await managementList('clients');
    expect(clients.find((c) => c.client_id === reader.client_id)).toMatchObject({
      client_metadata: { team: 'reporting', auth0_client_id: 'kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU' },
      token_endpoint_auth_method: 'client_secret_post',
    });

    // the original story, now on gatehouse: the read service may read, not write; the write service both
    const policy = {
      routes: [
        { method: 'GET', path: '/contacts', scopes: ['read:contacts'] },
        { method: 'POST', path: '/contacts', scopes: ['write:contacts'] },
      ],
    };
    const authorizer = createAuthorizer({ issuer: server.issuer, audience: CONTACTS, policy });
    const tokenClient = (id: string, secret: string) =>
      createTokenClient({ issuer: server.issuer, clientId: id, clientSecret: secret, audience: CONTACTS });
    const readClient = tokenClient(reader.client_id, reader.client_secret);
    const writeClient = tokenClient(writer.client_id, writer.client_secret);
    try {
      const ask = async (client: typeof readClient, method: string) => {
        const result = await authorizer.authorize({
          method,
          path: '/contacts',
          authorization: `Bearer ${await client.getToken()}`,
        });
        return result.ok ? 200 : result.error.status;
      };
      expect(await ask(readClient, 'GET')).toBe(200);
      expect(await ask(readClient, 'POST')).toBe(403);
      expect(await ask(writeClient, 'POST')).toBe(200);
      const billing = await server.getToken({
        clientId: writer.client_id,
        clientSecret: writer.client_secret,
        audience: 'https://billing.example.com',
      });
      expect(billing.split('.')).toHaveLength(3);
      await expect(
        server.getToken({
          clientId: reader.client_id,
          clientSecret: reader.client_secret,
          audience: 'https://billing.example.com',
        }),
      ).rejects.toThrow(/access_denied/);
    } finally {
      readClient.close();
      writeClient.close();
      authorizer.close();
    }
  });

  it('changes nothing when run again, and issues no new secret', async () => {
    const before = await managementList('clients');
    const run = await runCli(server, ['import', 'auth0', FIXTURE, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as ImportJson;
    expect(report.apis.every((a) => a.action === 'exists')).toBe(true);
    expect(report.clients.every((c) => c.action === 'exists')).toBe(true);
    expect(report.grants.every((g) => g.action === 'exists')).toBe(true);
    expect(report.created_clients).toEqual([]);
    expect(await managementList('clients')).toHaveLength(before.length);
  });

  it('stops on a conflict with what gatehouse holds, writing nothing', async () => {
    const changed = JSON.parse(await readFile(FIXTURE, 'utf8')) as { client_grants: { scope: string[] }[] };
    changed.client_grants[0]!.scope = ['read:contacts', 'write:contacts'];
    const file = join(dir, 'conflict.json');
    await writeFile(file, JSON.stringify(changed));
    const before = await managementList('client-grants');
    const run = await runCli(server, ['import', 'auth0', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'exists in gatehouse with other scopes (read:contacts instead of read:contacts write:contacts)',
    );
    expect(run.stderr).toContain('1 conflict with gatehouse; nothing was written');
    expect(await managementList('client-grants')).toEqual(before);
  });

  it('shows new secrets once in the terminal when no secrets file is given', async () => {
    const single = {
      resource_servers: [
        { identifier: 'https://notes.example.com', name: 'Notes', scopes: [{ value: 'read:notes' }] },
      ],
      clients: [
        {
          client_id: 'notesReader000000000000000000001',
          name: 'Notes Reader',
          app_type: 'non_interactive',
          grant_types: ['client_credentials'],
        },
      ],
      client_grants: [
        {
          client_id: 'notesReader000000000000000000001',
          audience: 'https://notes.example.com',
          scope: ['read:notes'],
        },
      ],
    };
    const file = join(dir, 'notes.json');
    await writeFile(file, JSON.stringify(single));
    const run = await runCli(server, ['import', 'auth0', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /New client secrets \(shown once\)\n\s+NAME\s+CLIENT ID\s+CLIENT SECRET\n\s+Notes Reader\s+\S+\s+\S{32,}/,
    );
    expect(run.stderr).toContain('the list of new client secrets is shown once');
  });

  it.each([
    ['{"clients": [', /is not valid JSON/],
    ['[]', /must be a JSON object with resource_servers, clients and client_grants arrays/],
    [
      '{"clients": [], "rules": []}',
      /unknown section rules \(an export holds resource_servers, clients and client_grants\)/,
    ],
    ['{"clients": [{"name": "x"}]}', /clients\[0\]\.client_id: /],
    [
      '{"client_grants": [{"client_id": "a", "audience": "b", "scope": "read"}]}',
      /client_grants\[0\]\.scope: must be an array of scope names/,
    ],
    [
      '{"clients": [{"client_id": "a", "name": "A", "grant_types": ["client_credentials"]}, {"client_id": "a", "name": "B"}]}',
      /client a appears twice in the export/,
    ],
  ])('refuses a bad export with a clear message (%#)', async (content, message) => {
    const file = join(dir, `bad-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, content);
    const run = await runCli(server, ['import', 'auth0', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toContain('    at ');
  });

  it('refuses a missing file and an existing secrets file before writing anything', async () => {
    const missing = await runCli(server, ['import', 'auth0', join(dir, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
    const taken = join(dir, 'taken.json');
    await writeFile(taken, 'keep me');
    const fresh = join(dir, 'fresh.json');
    await writeFile(
      fresh,
      JSON.stringify({ resource_servers: [{ identifier: 'https://fresh.example.com', scopes: [] }] }),
    );
    const run = await runCli(server, ['import', 'auth0', fresh, '--secrets-file', taken]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('it exists already');
    expect(await readFile(taken, 'utf8')).toBe('keep me');
    expect((await managementList('resource-servers')).map((a) => a.identifier)).not.toContain(
      'https://fresh.example.com',
    );
  });

  it('refuses grants naming what the export does not hold', async () => {
    const file = join(dir, 'dangling.json');
    await writeFile(
      file,
      JSON.stringify({
        clients: [{ client_id: 'c1', name: 'C1', grant_types: ['client_credentials'] }],
        client_grants: [
          { client_id: 'ghost', audience: CONTACTS, scope: [] },
          { client_id: 'c1', audience: 'https://nowhere.example.com', scope: ['read:x'] },
          { client_id: 'c1', audience: CONTACTS, scope: ['delete:contacts'] },
        ],
      }),
    );
    const run = await runCli(server, ['import', 'auth0', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'grant ghost -> https://contacts.example.com names a client that is not in the export',
    );
    expect(run.stdout).toContain('names an API that is neither in the export nor in gatehouse');
    expect(run.stdout).toContain('has scopes its API does not define: delete:contacts');
  });
});
