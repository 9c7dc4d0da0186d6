/**
 * The `gatehouse` CLI end to end: the real bin, spawned as a user would run it, against a real
 * server (SQLite in a temp dir, 127.0.0.1 port 0). Admin commands go over HTTP to the Management
 * API; `gatehouse serve` is spawned itself and stopped with signals.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  assertSpawnedOutputClean,
  recordSecret,
  startTestServer,
  type TestServer,
  watchSpawnedProcess,
} from '../../packages/server/src/testing/start-test-server.ts';

const BIN = resolve(import.meta.dirname, '../../packages/server/bin/gatehouse.mjs');
const RUN_TIMEOUT_MS = 60_000;
const JWT_PATTERN = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;
const STACK_LINE = /^\s+at .+(:\d+:\d+|\(native\)|\(node:)/m;

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a user's shell would have, minus any GATEHOUSE_* of the test process. */
function createBaseEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      value === undefined ||
      key.startsWith('GATEHOUSE_') ||
      key.startsWith('VITEST') ||
      key === 'NODE_OPTIONS'
    ) {
      continue;
    }
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Every output of every admin command, to check afterwards that none showed a token or the admin secret. */
const adminOutputs: string[] = [];

// Every command's output, for every secret and token of the run (the in-process server's included).
afterAll(() => assertSpawnedOutputClean());

/** What a command exists to show once: the token of `token`, the secret of `clients create` and `rotate-secret`. */
function shownOnce(args: string[], stdout: string): string[] {
  if (args[0] === 'token') return stdout.match(new RegExp(JWT_PATTERN, 'g')) ?? [];
  if (args[0] !== 'clients' || (args[1] !== 'create' && args[1] !== 'rotate-secret')) return [];
  return [...stdout.matchAll(/client_secret"?:?\s*"?([\w-]{16,})/g)].map((m) => m[1]!);
}

function runGatehouse(args: string[], env: Record<string, string> = {}, input?: string): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: createBaseEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // Named by command only: the arguments may hold a secret.
    const watched = watchSpawnedProcess(`gatehouse ${args.slice(0, 2).join(' ')}`.slice(0, 40), child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gatehouse ${args.join(' ')} did not finish within ${RUN_TIMEOUT_MS} ms`));
    }, RUN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (args[0] !== 'token') adminOutputs.push(stdout, stderr);
      for (const value of shownOnce(args, stdout)) watched.allow(value);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

function expectNoStack(result: RunResult): void {
  expect(result.stderr).not.toMatch(STACK_LINE);
  expect(result.stdout).not.toMatch(STACK_LINE);
}

async function findFreePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

describe('gatehouse admin commands against a running server', { timeout: 120_000 }, () => {
  let server: TestServer;
  let env: Record<string, string>;
  const admin = (args: string[], input?: string) => runGatehouse(args, env, input);

  beforeAll(async () => {
    server = await startTestServer();
    env = {
      GATEHOUSE_ISSUER: server.issuer,
      GATEHOUSE_ADMIN_CLIENT_ID: server.admin.clientId,
      GATEHOUSE_ADMIN_CLIENT_SECRET: server.admin.clientSecret,
    };
  });

  afterAll(async () => {
    await server?.close();
  });

  it('creates an API with described scopes and shows it as a table and as JSON', async () => {
    const created = await admin([
      'apis',
      'create',
      '--identifier',
      'https://contacts.example',
      '--name',
      'Contacts',
      '--scope',
      'read:contacts=Read contacts',
      '--scope',
      'write:contacts',
      '--token-lifetime',
      '1800',
      '--signing-alg',
      'ES256',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^identifier\s+https:\/\/contacts\.example$/m);
    expect(created.stdout).toMatch(/^token_lifetime\s+1800$/m);
    expect(created.stdout).toMatch(/^\s+read:contacts\s+Read contacts$/m);

    const got = await admin(['apis', 'get', 'https://contacts.example', '--json']);
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)).toMatchObject({
      identifier: 'https://contacts.example',
      name: 'Contacts',
      signing_alg: 'ES256',
      token_lifetime: 1800,
      scopes: [
        { value: 'read:contacts', description: 'Read contacts' },
        { value: 'write:contacts', description: '' },
      ],
    });
  });

  it('lists APIs as an aligned table and as the exact API JSON', async () => {
    const table = await admin(['apis', 'list']);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^ID\s+IDENTIFIER\s+NAME\s+SCOPES\s+ALG\s+LIFETIME$/);
    const row = lines.find((line) => line.includes('https://contacts.example'));
    expect(row).toBeDefined();
    // Columns line up: the identifier starts where its heading does.
    expect(row!.indexOf('https://contacts.example')).toBe(lines[0]!.indexOf('IDENTIFIER'));
    expect(table.stdout).toMatch(/Showing 1-2 of 2 APIs/);

    const json = await admin(['apis', 'list', '--json']);
    const list = JSON.parse(json.stdout) as { identifier: string }[];
    expect(Array.isArray(list)).toBe(true);
    expect(list.map((api) => api.identifier)).toContain('https://contacts.example');
    const direct = await server.management('GET', 'resource-servers');
    expect(list).toEqual(await direct.json());

    const totals = JSON.parse((await admin(['apis', 'list', '--json', '--include-totals'])).stdout);
    expect(totals).toMatchObject({ total: 2, resource_servers: expect.any(Array) });
  });

  it('updates an API by identifier, adding and removing scopes', async () => {
    const updated = await admin([
      'apis',
      'update',
      'https://contacts.example',
      '--add-scope',
      'delete:contacts=Delete contacts',
      '--add-scope',
      'write:contacts=Change contacts',
      '--name',
      'Contacts API',
      '--json',
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({
      name: 'Contacts API',
      scopes: [
        { value: 'read:contacts', description: 'Read contacts' },
        { value: 'write:contacts', description: 'Change contacts' },
        { value: 'delete:contacts', description: 'Delete contacts' },
      ],
    });
    const removed = await admin([
      'apis',
      'update',
      'https://contacts.example',
      '--remove-scope',
      'delete:contacts',
      '--json',
    ]);
    expect(JSON.parse(removed.stdout).scopes.map((s: { value: string }) => s.value)).toEqual([
      'read:contacts',
      'write:contacts',
    ]);
  });

  it('creates clients and grants, and the client gets a token with the granted scope', async () => {
    const created = await admin(['clients', 'create', '--name', 'Read Service', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const client = JSON.parse(created.stdout) as {
      client_id: string;
      client_secret: string;
      app_type: string;
    };
    expect(client.app_type).toBe('non_interactive');
    expect(client.client_secret.length).toBeGreaterThanOrEqual(43);
    expect(created.stderr).toMatch(/shown once/);

    const grant = await admin([
      'grants',
      'create',
      '--client',
      client.client_id,
      '--audience',
      'https://contacts.example',
      '--scope',
      'read:contacts',
      '--json',
    ]);
    expect(grant.code, grant.stderr).toBe(0);
    expect(JSON.parse(grant.stdout)).toMatchObject({
      client_id: client.client_id,
      audience: 'https://contacts.example',
      scope: ['read:contacts'],
    });

    const token = await runGatehouse([
      'token',
      '--issuer',
      server.issuer,
      '--client-id',
      client.client_id,
      '--client-secret',
      client.client_secret,
      '--audience',
      'https://contacts.example',
    ]);
    expect(token.code, token.stderr).toBe(0);
    const jwt = token.stdout.trim();
    expect(jwt).toMatch(JWT_PATTERN);
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(jwt, jwks, {
      issuer: server.issuer,
      audience: 'https://contacts.example',
      typ: 'at+jwt',
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({ client_id: client.client_id, scope: 'read:contacts' });

    const decoded = await runGatehouse(
      [
        'token',
        '--client-id',
        client.client_id,
        '--client-secret',
        '-',
        '--audience',
        'https://contacts.example',
        '--decode',
        '--json',
      ],
      { GATEHOUSE_ISSUER: server.issuer },
      `${client.client_secret}\n`,
    );
    expect(decoded.code, decoded.stderr).toBe(0);
    expect(JSON.parse(decoded.stdout)).toMatchObject({
      header: { typ: 'at+jwt', alg: 'ES256' },
      payload: { sub: client.client_id, aud: 'https://contacts.example', scope: 'read:contacts' },
    });

    const human = await runGatehouse([
      'token',
      '--issuer',
      server.issuer,
      '--client-id',
      client.client_id,
      '--client-secret',
      client.client_secret,
      '--audience',
      'https://contacts.example',
      '--decode',
    ]);
    expect(human.stdout).toMatch(/^Claims:$/m);
    expect(human.stdout).toMatch(/^exp: \S+ \(in \d+ s\)$/m);
    expect(human.stderr).toMatch(/not verified/);
  });

  it('lists grants for one client, updates their scopes and deletes them', async () => {
    const created = JSON.parse((await admin(['clients', 'create', '--name', 'Writer', '--json'])).stdout) as {
      client_id: string;
    };
    const grant = JSON.parse(
      (
        await admin([
          'grants',
          'create',
          '--client',
          created.client_id,
          '--audience',
          'https://contacts.example',
          '--scope',
          'read:contacts write:contacts',
          '--json',
        ])
      ).stdout,
    ) as { id: string };

    const table = await admin(['grants', 'list', '--client', created.client_id]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(
        `^${grant.id}\\s+${created.client_id}\\s+https://contacts\\.example\\s+read:contacts write:contacts`,
        'm',
      ),
    );
    expect(table.stdout).toMatch(/Showing 1 of 1 grants/);

    const updated = await admin([
      'grants',
      'update',
      grant.id,
      '--scope',
      'read:contacts',
      '--token-lifetime',
      '120',
      '--json',
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ scope: ['read:contacts'], token_lifetime: 120 });

    const deleted = await admin(['grants', 'delete', grant.id]);
    expect(deleted.code, deleted.stderr).toBe(0);
    const after = JSON.parse(
      (await admin(['grants', 'list', '--client', created.client_id, '--json'])).stdout,
    );
    expect(after).toEqual([]);
  });

  it('rotates a secret: the old one stops working and the new one works', async () => {
    const created = JSON.parse(
      (await admin(['clients', 'create', '--name', 'Rotating', '--json'])).stdout,
    ) as {
      client_id: string;
      client_secret: string;
    };
    await admin([
      'grants',
      'create',
      '--client',
      created.client_id,
      '--audience',
      'https://contacts.example',
      '--scope',
      'read:contacts',
    ]);
    const tokenAs = (secret: string) =>
      runGatehouse(
        [
          'token',
          '--client-id',
          created.client_id,
          '--client-secret',
          secret,
          '--audience',
          'https://contacts.example',
        ],
        { GATEHOUSE_ISSUER: server.issuer },
      );
    expect((await tokenAs(created.client_secret)).code).toBe(0);

    const rotated = await admin(['clients', 'rotate-secret', created.client_id]);
    expect(rotated.code, rotated.stderr).toBe(0);
    const newSecret = /^client_secret\s+(\S+)$/m.exec(rotated.stdout)?.[1];
    expect(newSecret).toBeDefined();
    expect(newSecret).not.toBe(created.client_secret);
    expect(rotated.stderr).toMatch(/shown once/);

    const old = await tokenAs(created.client_secret);
    expect(old.code).toBe(1);
    expect(old.stdout).toBe('');
    expect(old.stderr).toMatch(/^error: token request refused with 401 invalid_client/m);
    expectNoStack(old);
    const fresh = await tokenAs(newSecret!);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout.trim()).toMatch(JWT_PATTERN);
  });

  it('pages through clients with --page and --per-page', async () => {
    const all = JSON.parse(
      (await admin(['clients', 'list', '--json', '--include-totals', '--per-page', '100'])).stdout,
    ) as {
      total: number;
      clients: { client_id: string }[];
    };
    expect(all.total).toBeGreaterThanOrEqual(4);
    const first = await admin(['clients', 'list', '--per-page', '2']);
    expect(first.stdout).toMatch(new RegExp(`Showing 1-2 of ${all.total} clients; next page: --page 1`));
    const second = JSON.parse(
      (await admin(['clients', 'list', '--per-page', '2', '--page', '1', '--json'])).stdout,
    ) as {
      client_id: string;
    }[];
    expect(second.map((c) => c.client_id)).toEqual(all.clients.slice(2, 4).map((c) => c.client_id));
  });

  it('gets, updates, disables and deletes a client', async () => {
    const created = JSON.parse((await admin(['clients', 'create', '--name', 'Temp', '--json'])).stdout) as {
      client_id: string;
    };
    const updated = await admin([
      'clients',
      'update',
      created.client_id,
      '--description',
      'Short-lived',
      '--disable',
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    const got = await admin(['clients', 'get', created.client_id]);
    expect(got.stdout).toMatch(/^description\s+Short-lived$/m);
    expect(got.stdout).toMatch(/^disabled\s+true$/m);
    expect(got.stdout).not.toMatch(/^client_secret\s/m);

    expect((await admin(['clients', 'delete', created.client_id])).code).toBe(0);
    const gone = await admin(['clients', 'get', created.client_id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: 404 Not Found: The client does not exist \[inexistent_client\]$/m);
  });

  it('lists the signing keys without private material', async () => {
    const table = await admin(['keys', 'list']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^KID\s+ALG\s+STATUS/);
    expect(table.stdout).toMatch(/\sRS256\s+current\s/);
    expect(table.stdout).toMatch(/\sES256\s+current\s/);
    const keys = JSON.parse((await admin(['keys', 'list', '--json'])).stdout) as {
      kid: string;
      jwk: Record<string, string>;
    }[];
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const key of keys) expect(key.jwk.d).toBeUndefined();
  });

  it('refuses to delete an API that has grants unless --force, then deletes it', async () => {
    const refused = await admin(['apis', 'delete', 'https://contacts.example']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: 409 Conflict: .*\[resource_server_has_grants\]; pass --force/m);
    expectNoStack(refused);
    expect((await admin(['apis', 'get', 'https://contacts.example'])).code).toBe(0);

    const forced = await admin(['apis', 'delete', 'https://contacts.example', '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/Deleted API https:\/\/contacts\.example/);
    const gone = await admin(['apis', 'get', 'https://contacts.example']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/404 Not Found/);
  });

  it('says clearly when the admin secret is wrong', async () => {
    const result = await runGatehouse(['apis', 'list'], {
      ...env,
      GATEHOUSE_ADMIN_CLIENT_SECRET: 'wrong-secret',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).toMatch(
      /^error: token request refused with 401 invalid_client( \(.+\))?; check --client-id\/--client-secret \(or GATEHOUSE_ADMIN_CLIENT_ID\/GATEHOUSE_ADMIN_CLIENT_SECRET\)$/,
    );
    expectNoStack(result);
  });

  it("passes the server's message through when a client lacks Management API scopes", async () => {
    const outsider = await server.createApiAndClient({ scopes: ['read:things'] });
    const result = await runGatehouse(['clients', 'list'], {
      GATEHOUSE_ISSUER: server.issuer,
      GATEHOUSE_ADMIN_CLIENT_ID: outsider.clientId,
      GATEHOUSE_ADMIN_CLIENT_SECRET: outsider.clientSecret,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: token request refused with 403 access_denied/m);
    expectNoStack(result);
  });

  it('reports validation errors from the server with the field', async () => {
    const fixture = await server.createApiAndClient({ scopes: ['read:things'] });
    const other = JSON.parse((await admin(['clients', 'create', '--name', 'Other', '--json'])).stdout) as {
      client_id: string;
    };
    const result = await admin([
      'grants',
      'create',
      '--client',
      other.client_id,
      '--audience',
      fixture.audience,
      '--scope',
      'no:such-scope',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: 400 Bad Request: .*scope.*no:such-scope/m);
    expectNoStack(result);
  });

  it('refuses bad flag values before calling the server, with exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['apis', 'create', '--identifier', 'x', '--name', 'y', '--token-lifetime', '0'],
        /--token-lifetime <seconds>.*'0' is invalid/,
      ],
      [
        ['apis', 'create', '--identifier', 'x', '--name', 'y', '--signing-alg', 'HS256'],
        /--signing-alg <alg>.*'HS256' is invalid/,
      ],
      [['apis', 'create', '--name', 'y'], /required option '--identifier <uri>' not specified/],
      [['clients', 'list', '--per-page', '1000'], /--per-page <n>.*'1000' is invalid.*1 to 100/],
      [
        ['grants', 'create', '--client', 'c', '--audience', 'a', '--scope', 'bad"scope'],
        /--scope <scope>.*is invalid/,
      ],
      [['clients', 'lst'], /unknown command 'lst'[\s\S]*Did you mean list\?/],
      [['apis', 'list', '--issuer', 'not-a-url'], /--issuer <url>.*is invalid/],
      [['clients', 'update', 'abc'], /nothing to update/],
    ];
    const results = await Promise.all(cases.map(([args]) => admin(args)));
    results.forEach((result, i) => {
      const [args, message] = cases[i]!;
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expectNoStack(result);
    });
  });

  it('says which credentials are missing, with exit code 2', async () => {
    const result = await runGatehouse(['apis', 'list'], { GATEHOUSE_ISSUER: server.issuer });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /missing admin credentials: pass --client-id \(or GATEHOUSE_ADMIN_CLIENT_ID\)/,
    );
  });

  it('never printed a token or the admin secret from an admin command', () => {
    expect(adminOutputs.length).toBeGreaterThan(20);
    for (const output of adminOutputs) {
      expect(output).not.toMatch(JWT_PATTERN);
      expect(output).not.toContain(server.admin.clientSecret);
    }
  });
});

describe('gatehouse with no server to talk to', { timeout: 60_000 }, () => {
  it('says the server cannot be reached: connection refused', async () => {
    const port = await findFreePort();
    const result = await runGatehouse(['apis', 'list'], {
      GATEHOUSE_ISSUER: `http://127.0.0.1:${port}/`,
      GATEHOUSE_ADMIN_CLIENT_ID: 'someone',
      GATEHOUSE_ADMIN_CLIENT_SECRET: 'something',
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `error: cannot reach http://127.0.0.1:${port}/oauth/token: connection refused`,
    );
  });

  it('prints help with examples and exits 0', async () => {
    const result = await runGatehouse(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: gatehouse \[options\] \[command\]/);
    expect(result.stdout).toMatch(/Exit codes: 0 success, 1 .*\n2 the command line was wrong/);
    const sub = await runGatehouse(['grants', 'create', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toMatch(/Examples:\n {2}\$ gatehouse grants create --client/);
  });
});

describe('gatehouse serve', { timeout: 120_000 }, () => {
  const children: ChildProcess[] = [];
  let dataDir: string;
  /** The port of the first start, reused by the second so the issuer stays the same. */
  let port: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-cli-serve-'));
  });

  afterEach(() => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  afterAll(async () => {
    try {
      // Output and store of every `gatehouse serve` here, before the data dir goes.
      await assertSpawnedOutputClean();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  interface Serving {
    child: ChildProcess;
    banner: string;
    stdout: () => string;
    stderr: () => string;
    exited: Promise<number | null>;
  }

  /** Spawns `gatehouse serve` and waits for its banner. */
  function startServe(env: Record<string, string>): Promise<Serving> {
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env: createBaseEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const watched = watchSpawnedProcess('gatehouse serve', child, { gatehouseEnv: env });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no banner within ${RUN_TIMEOUT_MS} ms:\n${stderr}`)),
        RUN_TIMEOUT_MS,
      );
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.includes('Press Ctrl+C to stop.')) {
          clearTimeout(timer);
          // A generated admin secret: a secret from now on, shown by this banner only.
          const generated = /GATEHOUSE_ADMIN_CLIENT_SECRET=(\S+)/.exec(stderr)?.[1];
          recordSecret('generated admin secret', generated);
          watched.allow(generated);
          resolvePromise({ child, banner: stderr, stdout: () => stdout, stderr: () => stderr, exited });
        }
      });
      exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`gatehouse serve exited with ${code} before its banner:\n${stderr}`));
      });
    });
  }

  const field = (banner: string, label: string) =>
    new RegExp(`^\\s+${label}\\s+(\\S+)$`, 'm').exec(banner)?.[1];

  it('starts, prints the banner and generated admin credentials once, serves discovery, and stops on SIGINT with exit 0', async () => {
    port = await findFreePort();
    const serving = await startServe({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PORT: String(port) });
    const issuer = field(serving.banner, 'Issuer');
    const base = `http://127.0.0.1:${port}/`;
    expect(issuer).toBe(`http://localhost:${port}/`);
    expect(field(serving.banner, 'Listening on')).toBe(`http://127.0.0.1:${port}`);
    const discovery = field(serving.banner, 'Discovery');
    expect(discovery).toBe(`${base}.well-known/openid-configuration`);
    expect(field(serving.banner, 'JWKS')).toBe(`${base}.well-known/jwks.json`);
    expect(field(serving.banner, 'Management API')).toBe(`${base}api/v2/`);
    expect(field(serving.banner, 'API reference')).toBe(`${base}docs`);

    const metadata = (await (await fetch(discovery!)).json()) as { issuer: string; jwks_uri: string };
    expect(metadata.issuer).toBe(issuer);

    const clientId = /^\s+GATEHOUSE_ADMIN_CLIENT_ID=(\S+)$/m.exec(serving.banner)?.[1];
    const clientSecret = /^\s+GATEHOUSE_ADMIN_CLIENT_SECRET=(\S+)$/m.exec(serving.banner)?.[1];
    expect(clientId).toBeDefined();
    expect(clientSecret!.length).toBeGreaterThanOrEqual(43);
    expect(serving.banner).toMatch(/shown once/);

    // The generated credentials work with the CLI straight away.
    const listed = await runGatehouse(['clients', 'list', '--json'], {
      GATEHOUSE_ISSUER: issuer!,
      GATEHOUSE_ADMIN_CLIENT_ID: clientId!,
      GATEHOUSE_ADMIN_CLIENT_SECRET: clientSecret!,
    });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).map((c: { client_id: string }) => c.client_id)).toContain(clientId);

    serving.child.kill('SIGINT');
    expect(await serving.exited).toBe(0);
    expect(serving.stderr()).toMatch(/gatehouse stopped\./);
    // Shown on the terminal once, never in the log stream.
    expect(serving.stderr().split(clientSecret!).length - 1).toBe(1);
    expect(serving.stdout()).not.toContain(clientSecret);
  });

  it('does not show the admin secret again on the next start, and stops on SIGTERM with exit 0', async () => {
    const serving = await startServe({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PORT: String(port) });
    expect(serving.banner).not.toMatch(/GATEHOUSE_ADMIN_CLIENT_SECRET=/);
    expect(serving.banner).toMatch(/^\s+Issuer\s+http:\/\//m);
    serving.child.kill('SIGTERM');
    expect(await serving.exited).toBe(0);
  });

  it('honours --port over GATEHOUSE_PORT', async () => {
    const flagPort = await findFreePort();
    const child = spawn(process.execPath, [BIN, 'serve', '--port', String(flagPort)], {
      env: createBaseEnv({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PORT: '1' }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    watchSpawnedProcess('gatehouse serve --port', child);
    let stderr = '';
    await new Promise<void>((done, reject) => {
      const timer = setTimeout(() => reject(new Error(stderr)), RUN_TIMEOUT_MS);
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.includes('Press Ctrl+C')) {
          clearTimeout(timer);
          done();
        }
      });
    });
    expect(stderr).toContain(`Listening on    http://127.0.0.1:${flagPort}`);
    const exited = new Promise((done) => child.on('exit', done));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('stops with exit 1 and one line naming GATEHOUSE_PORT when it is malformed', async () => {
    const result = await runGatehouse(['serve'], { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PORT: 'eighty' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      'error: configuration error: GATEHOUSE_PORT: must be a whole number from 0 to 65535',
    );
    expectNoStack(result);
  });

  it('names the flag when --port is malformed', async () => {
    const result = await runGatehouse(['serve', '--port', '70000'], { GATEHOUSE_DATA_DIR: dataDir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: configuration error: --port \(GATEHOUSE_PORT: .*65535\)$/m);
  });

  it('stops with exit 1 and a clear line when the port is taken', async () => {
    const taken = net.createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    const { port } = taken.address() as net.AddressInfo;
    try {
      const result = await runGatehouse(['serve'], {
        GATEHOUSE_DATA_DIR: dataDir,
        GATEHOUSE_PORT: String(port),
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1:${port}: .*in use`, 'm'),
      );
      expectNoStack(result);
    } finally {
      await new Promise<void>((done) => taken.close(() => done()));
    }
  });
});
