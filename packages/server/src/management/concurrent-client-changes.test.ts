/**
 * Read-modify-writes of a client's lists under concurrency, over real HTTP: credential changes and
 * secret rotations sent at once all land (none overwrites another), and every secret shown to a
 * caller authenticates, on every store back-end (PostgreSQL and DynamoDB answer asynchronously, so
 * requests really interleave between the read and the write). Without the store's `ifUpdatedAt`
 * condition, these lose updates.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DYNAMODB_BACKEND,
  POSTGRES_BACKEND,
  SQLITE_BACKEND,
  type StoreBackend,
} from '../../../../test/services/shared-store-backends.ts';
import { startTestServer, type TestServer } from '../testing/start-test-server.ts';
import { MAX_CLIENT_CREDENTIALS } from './client-credential-schemas.ts';

const BACKENDS: StoreBackend[] = [SQLITE_BACKEND, POSTGRES_BACKEND, DYNAMODB_BACKEND];

async function json<T>(res: Response): Promise<T> {
  const body = (await res.json()) as T;
  if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body;
}

function pem(): string {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

describe.each(BACKENDS)('concurrent changes to one client on $name', (backend) => {
  let server: TestServer;
  let tearDown: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const setUp = await backend.setUp('gatehouse_concurrent');
    tearDown = setUp.tearDown;
    server = await startTestServer({ env: setUp.env });
  });

  afterAll(async () => {
    await server?.close();
    await tearDown();
  });

  it('keeps every credential added at once, and refuses past the limit', async () => {
    const api = await server.createApiAndClient({ clientName: 'many keys' });
    const path = `clients/${api.clientId}/credentials`;
    const added = await Promise.all(
      Array.from({ length: MAX_CLIENT_CREDENTIALS }, () =>
        server.management('POST', path, { credential_type: 'public_key', pem: pem(), alg: 'ES256' }),
      ),
    );
    expect(added.map((r) => r.status)).toEqual(Array(MAX_CLIENT_CREDENTIALS).fill(201));
    const ids = await Promise.all(added.map(async (r) => ((await r.json()) as { id: string }).id));
    const listed = await json<{ id: string }[]>(await server.management('GET', path));
    expect(listed.map((c) => c.id).sort()).toEqual([...ids].sort());
    // one more, twice at once: both refused, the limit holds under concurrency too
    const over = await Promise.all(
      [0, 1].map(() =>
        server.management('POST', path, { credential_type: 'public_key', pem: pem(), alg: 'ES256' }),
      ),
    );
    expect(over.map((r) => r.status)).toEqual([409, 409]);
    // deleting half of them at once leaves exactly the other half
    const gone = ids.slice(0, MAX_CLIENT_CREDENTIALS / 2);
    const deleted = await Promise.all(gone.map((id) => server.management('DELETE', `${path}/${id}`)));
    expect(deleted.map((r) => r.status)).toEqual(Array(gone.length).fill(204));
    const left = await json<{ id: string }[]>(await server.management('GET', path));
    expect(left.map((c) => c.id).sort()).toEqual(ids.slice(MAX_CLIENT_CREDENTIALS / 2).sort());
  });

  it('stores the secret of every rotation made at once (with a grace period): each one gets a token', async () => {
    const api = await server.createApiAndClient({ clientName: 'rotated at once' });
    const rotations = await Promise.all(
      Array.from({ length: 3 }, () =>
        server.management('POST', `clients/${api.clientId}/rotate-secret`, { grace_period_seconds: 3600 }),
      ),
    );
    const secrets = await Promise.all(
      rotations.map(async (r) => (await json<{ client_secret: string }>(r)).client_secret),
    );
    expect(new Set(secrets).size).toBe(3);
    for (const clientSecret of [...secrets, api.clientSecret]) {
      await expect(
        server.getToken({ clientId: api.clientId, clientSecret, audience: api.audience }),
      ).resolves.toMatch(/^ey/);
    }
  });
});
