import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../testing/run-cli.ts';
import { startTestServer, type TestServer } from '../../testing/start-test-server.ts';
import { parseRouteFlag } from './route-flags.ts';

describe('parseRouteFlag', () => {
  it('reads METHOD PATH and scopes separated by spaces or commas', () => {
    expect(parseRouteFlag('get /contacts/{id} read:contacts')).toEqual({
      method: 'GET',
      path: '/contacts/{id}',
      scopes: ['read:contacts'],
    });
    expect(parseRouteFlag('* /contacts/*  write:contacts,admin:contacts')).toEqual({
      method: '*',
      path: '/contacts/*',
      scopes: ['write:contacts', 'admin:contacts'],
    });
    expect(parseRouteFlag('GET /health')).toEqual({ method: 'GET', path: '/health', scopes: [] });
  });

  it('refuses what the server would refuse', () => {
    for (const bad of ['GET', '', 'GET contacts read:x', 'GET /a/*/b', 'G@T /a']) {
      expect(() => parseRouteFlag(bad), bad).toThrow();
    }
  });
});

describe('gatehouse apis … route policy', () => {
  let server: TestServer;
  let dir: string;
  beforeAll(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-routes-'));
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const feed = async (audience: string) =>
    (
      (await (await fetch(`${server.url}/feeds/policy?audience=${encodeURIComponent(audience)}`)).json()) as {
        routes: unknown;
      }
    ).routes;

  it('sets routes with repeated --route, shows them with apis get, and clears them', async () => {
    const id = 'https://contacts.cli-routes.test/';
    const created = await runCli(server, [
      'apis',
      'create',
      '--identifier',
      id,
      '--name',
      'Contacts',
      '--scope',
      'read:contacts',
      '--scope',
      'write:contacts',
      '--route',
      'GET /contacts read:contacts',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(await feed(id)).toEqual([{ method: 'GET', path: '/contacts', scopes: ['read:contacts'] }]);

    const updated = await runCli(server, [
      'apis',
      'update',
      id,
      '--route',
      'GET /contacts/{id} read:contacts',
      '--route',
      'post /contacts write:contacts',
      '--route',
      'GET /health',
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(await feed(id)).toEqual([
      { method: 'GET', path: '/contacts/{id}', scopes: ['read:contacts'] },
      { method: 'POST', path: '/contacts', scopes: ['write:contacts'] },
      { method: 'GET', path: '/health', scopes: [] },
    ]);
    const shown = await runCli(server, ['apis', 'get', id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^Routes:\n\s+METHOD\s+PATH\s+SCOPES/m);
    expect(shown.stdout).toMatch(/GET\s+\/contacts\/\{id\}\s+read:contacts/);
    expect(shown.stdout).toMatch(/GET\s+\/health\s+\(any valid token\)/);
    const json = JSON.parse((await runCli(server, ['apis', 'get', id, '--json'])).stdout) as {
      routes: unknown[];
    };
    expect(json.routes).toHaveLength(3);

    const cleared = await runCli(server, ['apis', 'update', id, '--clear-routes']);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(await feed(id)).toBeNull();
    expect((await runCli(server, ['apis', 'get', id])).stdout).toMatch(/^Routes: none/m);
  });

  it('reads --routes-file in DESIGN.md’s shape and as a bare list', async () => {
    const id = 'https://file.cli-routes.test/';
    expect(
      (await runCli(server, ['apis', 'create', '--identifier', id, '--name', 'F', '--scope', 'read:x'])).code,
    ).toBe(0);
    const policy = join(dir, 'policy.json');
    await writeFile(
      policy,
      JSON.stringify({ routes: [{ method: 'GET', path: '/x/{id}', scopes: ['read:x'] }] }),
    );
    const fromFile = await runCli(server, ['apis', 'update', id, '--routes-file', policy]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(await feed(id)).toEqual([{ method: 'GET', path: '/x/{id}', scopes: ['read:x'] }]);
    const bare = join(dir, 'bare.json');
    await writeFile(bare, JSON.stringify([{ method: '*', path: '/x/*', scopes: [] }]));
    expect((await runCli(server, ['apis', 'update', id, '--routes-file', bare])).code).toBe(0);
    expect(await feed(id)).toEqual([{ method: '*', path: '/x/*', scopes: [] }]);
  });

  it('refuses bad route flags and files as usage errors, and unknown scopes as the server does', async () => {
    const id = 'https://bad.cli-routes.test/';
    await runCli(server, ['apis', 'create', '--identifier', id, '--name', 'B', '--scope', 'read:x']);
    const badFlag = await runCli(server, ['apis', 'update', id, '--route', 'GET nope']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/--route/);
    const twice = await runCli(server, ['apis', 'update', id, '--route', 'GET /a', '--route', 'get /a/']);
    expect(twice.code).toBe(2);
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"routes": [{"method": "GET", "path": "a", "scopes": []}]}');
    const badFile = await runCli(server, ['apis', 'update', id, '--routes-file', broken]);
    expect(badFile.code).toBe(2);
    expect(badFile.stderr).toMatch(/broken\.json: routes\[0\]\.path/);
    const missing = await runCli(server, ['apis', 'update', id, '--routes-file', join(dir, 'none.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/ENOENT/);
    const unknownScope = await runCli(server, ['apis', 'update', id, '--route', 'GET /a write:x']);
    expect(unknownScope.code).toBe(1);
    expect(unknownScope.stderr).toMatch(/400 Bad Request: .*write:x is not a scope of this API/);
    const conflict = await runCli(server, ['apis', 'update', id, '--clear-routes', '--route', 'GET /a']);
    expect(conflict.code).toBe(2);
  });
});
