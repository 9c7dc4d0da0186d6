import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../testing/run-cli.ts';
import { startTestServer, type TestServer } from '../../testing/start-test-server.ts';

describe('gatehouse logs list|get and stats tokens', () => {
  let server: TestServer;
  let clientId: string;
  beforeAll(async () => {
    server = await startTestServer();
    const created = await runCli(server, ['clients', 'create', '--name', 'Audited Service', '--json']);
    clientId = (JSON.parse(created.stdout) as { client_id: string }).client_id;
    await runCli(server, ['clients', 'rotate-secret', clientId, '--json']);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('lists the changes to a client as a table, newest first, with a paging footer', async () => {
    const run = await runCli(server, ['logs', 'list', '--target-id', clientId]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^DATE\s+TYPE\s+ACTION\s+TARGET\s+BY\s+IP\s+ERROR\s+LOG ID$/);
    expect(lines[1]).toContain('client.secret_rotated');
    expect(lines[2]).toContain('client.created');
    expect(lines[2]).toContain(`client ${clientId}`);
    expect(run.stdout).toContain('Showing 1-2 of 2 log events');
  });

  it('answers JSON for scripts and shows one event with its before and after', async () => {
    const list = await runCli(server, [
      'logs',
      'list',
      '--action',
      'client.created',
      '--target-id',
      clientId,
      '--json',
    ]);
    const [event] = JSON.parse(list.stdout) as { log_id: string; details: { after: { name: string } } }[];
    expect(event!.details.after.name).toBe('Audited Service');
    const get = await runCli(server, ['logs', 'get', event!.log_id]);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout).toContain(`log_id`);
    expect(get.stdout).toContain('client.created');
    expect(get.stdout).toMatch(/after:\n\{\n\s+"client_id"/);
    const asJson = await runCli(server, ['logs', 'get', event!.log_id, '--json']);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ log_id: event!.log_id, type: 'sapi' });
  });

  it('refuses bad filters with the server’s message, and a bad type before asking', async () => {
    const bad = await runCli(server, ['logs', 'list', '--q', 'type:sapi OR type:fapi']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/'OR' is not supported/);
    expect((await runCli(server, ['logs', 'list', '--type', 'login'])).code).toBe(2);
    const missing = await runCli(server, ['logs', 'get', '01JD8Y3V7Q0000000000000000']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);
  });

  it('shows token statistics', async () => {
    const json = await runCli(server, ['clients', 'list', '--json']);
    expect(json.code).toBe(0);
    await server.getToken({ ...server.admin, audience: `${server.issuer}api/v2/` });
    const run = await runCli(server, ['stats', 'tokens']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Tokens from \S+ to \S+:/);
    expect(run.stdout).toContain(server.admin.clientId);
    const asJson = JSON.parse(
      (await runCli(server, ['stats', 'tokens', '--interval', 'day', '--json'])).stdout,
    ) as {
      buckets: string[];
    };
    expect(asJson.buckets).toHaveLength(30);
    expect((await runCli(server, ['stats', 'tokens', '--interval', 'week'])).code).toBe(2);
  });
});
