import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/start-test-server.ts';

/** Two instances sharing one store (the same SQLite file and KEK), as behind a load balancer. */
describe('instances sharing a store', () => {
  let dir: string;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-shared-'));
    const env = {
      GATEHOUSE_SYNC_SECONDS: '1',
      GATEHOUSE_ADMIN_CLIENT_ID: 'shared-admin',
      GATEHOUSE_ADMIN_CLIENT_SECRET: randomBytes(32).toString('base64url'),
    };
    a = await startTestServer({ dataDir: dir, env });
    b = await startTestServer({ dataDir: dir, env });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const jwksKids = async (s: TestServer) =>
    ((await (await fetch(`${s.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map(
      (k) => k.kid,
    );

  async function eventually(check: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the condition never held');
  }

  it('follows a key revoked through the other instance within the sync interval', async () => {
    const current = (
      (await (await a.management('GET', 'keys/signing')).json()) as {
        kid: string;
        alg: string;
        current: boolean;
      }[]
    ).find((k) => k.current && k.alg === 'RS256')!;
    expect(await jwksKids(b)).toContain(current.kid);
    expect((await a.management('PUT', `keys/signing/${current.kid}/revoke`)).status).toBe(200);
    expect(await jwksKids(a)).not.toContain(current.kid);
    await eventually(async () => !(await jwksKids(b)).includes(current.kid));
    // B signs with the new current key, which both publish.
    const token = await b.managementToken();
    const kid = (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string })
      .kid;
    expect(kid).not.toBe(current.kid);
    expect(await jwksKids(a)).toContain(kid);
  });
});
