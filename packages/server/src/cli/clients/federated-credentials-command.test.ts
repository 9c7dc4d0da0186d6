import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../testing/run-cli.ts';
import { type ApiAndClient, startTestServer, type TestServer } from '../../testing/start-test-server.ts';

describe('gatehouse clients credentials add-federated', () => {
  let server: TestServer;
  let app: ApiAndClient;
  beforeAll(async () => {
    server = await startTestServer();
    app = await server.createApiAndClient();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('adds a federated credential, lists it with its issuer kind, and deletes it', async () => {
    const added = await runCli(server, [
      'clients',
      'credentials',
      'add-federated',
      app.clientId,
      '--external-issuer',
      'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
      '--subject',
      'system:serviceaccount:payments:*',
      '--audience',
      'https://gatehouse.example.com/',
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^issuer_kind\s+kubernetes$/m);
    expect(added.stdout).toMatch(/^subject\s+system:serviceaccount:payments:\*$/m);
    const id = /^id\s+(cred_\w+)$/m.exec(added.stdout)?.[1];
    const listed = await runCli(server, ['clients', 'credentials', 'list', app.clientId]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).toContain('kubernetes');
    const deleted = await runCli(server, ['clients', 'credentials', 'delete', app.clientId, id!]);
    expect(deleted.code, deleted.stderr).toBe(0);
    const res = await server.management('GET', `clients/${app.clientId}/credentials`);
    expect(await res.json()).toEqual([]);
  });

  it('refuses a subject pattern that would trust anyone the issuer signs', async () => {
    const run = await runCli(server, [
      'clients',
      'credentials',
      'add-federated',
      app.clientId,
      '--external-issuer',
      'https://token.actions.githubusercontent.com',
      '--subject',
      '*',
      '--audience',
      'https://gatehouse.example.com/',
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('subject: a `*` must follow a fixed prefix');
  });

  it('requires --audience', async () => {
    const run = await runCli(server, [
      'clients',
      'credentials',
      'add-federated',
      app.clientId,
      '--external-issuer',
      'https://token.actions.githubusercontent.com',
      '--subject',
      'repo:acme/api:ref:refs/heads/main',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--audience');
  });
});
