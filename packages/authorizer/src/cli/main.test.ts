import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startProductIssuer } from '../../../../test/issuers/product-issuers.ts';
import { contactsPolicy } from '../testing/adapter-contract.ts';
import { startTestIssuer, type TestIssuer } from '../testing/test-issuer.ts';

const BIN = new URL('../../bin/gatehouse-authorizer.mjs', import.meta.url).pathname;

function run(args: string[], env: Record<string, string>) {
  return spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function finish(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

/** The port the forward-auth server logs once it listens. */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let seen = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /"port":(\d+)/.exec(seen);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', () => reject(new Error(seen)));
  });
}

let idp: TestIssuer;
let dir: string;
let policyFile: string;

beforeAll(async () => {
  idp = await startTestIssuer();
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-authorizer-cli-'));
  policyFile = join(dir, 'policy.json');
  await writeFile(policyFile, JSON.stringify(contactsPolicy));
});

afterAll(async () => {
  await idp.close();
  await rm(dir, { recursive: true, force: true });
});

describe('gatehouse-authorizer forward-auth', () => {
  it('serves forward-auth on the port from the environment and stops on SIGTERM', async () => {
    const child = run(['forward-auth', '--host', '127.0.0.1', '--port', '0'], {
      GATEHOUSE_ISSUER: idp.issuer,
      AUTHORIZER_AUDIENCE: idp.audience,
      AUTHORIZER_POLICY: policyFile,
    });
    const done = finish(child);
    try {
      const port = await listeningPort(child);
      const res = await fetch(`http://127.0.0.1:${port}/nginx`, {
        headers: {
          'x-original-method': 'GET',
          'x-original-uri': '/contacts',
          authorization: `Bearer ${await idp.mint()}`,
        },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-auth-client-id')).toBe('svc-a');
    } finally {
      child.kill('SIGTERM');
    }
    const { code, stderr } = await done;
    expect(code).toBe(0);
    expect(stderr).not.toMatch(/eyJ/); // no token in the logs
  });

  it('follows the remote route policy with --policy remote, applying a change without a restart', async () => {
    idp.feeds.setPolicy([{ method: 'GET', path: '/contacts', scopes: ['read:contacts'] }]);
    const child = run(
      ['forward-auth', '--host', '127.0.0.1', '--port', '0', '--policy', 'remote', '--sync-seconds', '1'],
      {
        GATEHOUSE_ISSUER: idp.issuer,
        AUTHORIZER_AUDIENCE: idp.audience,
      },
    );
    const done = finish(child);
    try {
      const port = await listeningPort(child);
      const token = await idp.mint({ scope: 'read:contacts' });
      const check = async () =>
        (
          await fetch(`http://127.0.0.1:${port}/nginx`, {
            headers: {
              'x-original-method': 'GET',
              'x-original-uri': '/contacts',
              authorization: `Bearer ${token}`,
            },
          })
        ).status;
      expect(await check()).toBe(200);
      idp.feeds.setPolicy([{ method: 'GET', path: '/contacts', scopes: ['write:contacts'] }]);
      await vi.waitFor(async () => expect(await check()).toBe(403), { timeout: 5000, interval: 100 });
    } finally {
      child.kill('SIGTERM');
      idp.feeds.setPolicy(null);
    }
    expect((await done).code).toBe(0);
  });

  it('verifies Cognito client-credentials tokens with --issuer-profile cognito and the resource server from its variable', async () => {
    const api = 'https://contacts.example.com';
    const cognito = await startProductIssuer('cognito', {
      audience: api,
      clients: [{ id: 'app-client-1', secret: 'x', scopes: ['read:contacts'] }],
    });
    const child = run(
      [
        'forward-auth',
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--issuer-profile',
        'cognito',
        '--policy',
        policyFile,
      ],
      {
        GATEHOUSE_ISSUER: cognito.issuer,
        AUTHORIZER_AUDIENCE: 'app-client-1,app-client-2',
        AUTHORIZER_RESOURCE_SERVER: api,
      },
    );
    const done = finish(child);
    try {
      const port = await listeningPort(child);
      const ask = async (method: string, token: string) =>
        fetch(`http://127.0.0.1:${port}/nginx`, {
          headers: {
            'x-original-method': method,
            'x-original-uri': '/contacts',
            authorization: `Bearer ${token}`,
          },
        });
      const allowed = await ask('GET', cognito.mint('app-client-1'));
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('x-auth-scope')).toBe('read:contacts');
      expect((await ask('POST', cognito.mint('app-client-1'))).status).toBe(403);
      expect((await ask('GET', cognito.mint('app-client-1', { token_use: 'id' }))).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
      await cognito.close();
    }
    expect((await done).code).toBe(0);
  });

  it.each<[string[], Record<string, string>, string]>([
    [[], { AUTHORIZER_POLICY: 'x.json' }, 'AUTHORIZER_AUDIENCE is required'],
    [['--sync-seconds', '0'], { AUTHORIZER_AUDIENCE: 'api' }, 'GATEHOUSE_SYNC_SECONDS must be whole seconds'],
    [
      ['--issuer-profile', 'cognito'],
      { AUTHORIZER_AUDIENCE: 'app-client-id', AUTHORIZER_POLICY: 'POLICY' },
      'cannot match cognito tokens',
    ],
    [
      [],
      { AUTHORIZER_AUDIENCE: 'api', AUTHORIZER_POLICY: '/nonexistent/policy.json' },
      'cannot read the policy file',
    ],
  ])('refuses to start with a clear message (%#)', async (args, env, message) => {
    const policyEnv = env.AUTHORIZER_POLICY === 'POLICY' ? { ...env, AUTHORIZER_POLICY: policyFile } : env;
    const { code, stderr } = await finish(run(['forward-auth', ...args], policyEnv));
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).not.toContain('    at '); // no stack trace
  });
});
