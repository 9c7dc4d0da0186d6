import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { sampleClient, sampleClientGrant, sampleResourceServer } from '../store/store-contract.ts';
import { createTokenReadCache } from './token-read-cache.ts';

/** The real SQLite store, counting the reads that reach it. */
function counted(store: Store): { store: Store; reads: () => number } {
  let reads = 0;
  const wrapped: Store = {
    ...store,
    changeStamp: () => store.changeStamp!(),
    getClient: (id) => {
      reads++;
      return store.getClient(id);
    },
    getResourceServerByIdentifier: (identifier) => {
      reads++;
      return store.getResourceServerByIdentifier(identifier);
    },
    findClientGrant: (clientId, audience) => {
      reads++;
      return store.findClientGrant(clientId, audience);
    },
  };
  return { store: wrapped, reads: () => reads };
}

describe('the token read cache over SQLite', () => {
  let dir: string;
  let file: string;
  let a: Store;
  let b: Store;
  let clientId: string;
  let audience: string;
  let grantId: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-read-cache-'));
    file = join(dir, 'gatehouse.db');
    a = createSqliteStore({ file });
    // A second instance on the same file, as two servers sharing one data dir.
    b = createSqliteStore({ file });
    const api = await a.createResourceServer(sampleResourceServer());
    const client = await a.createClient(sampleClient());
    const grant = await a.createClientGrant(
      sampleClientGrant(client.clientId, api.identifier, { scope: ['read:contacts', 'write:contacts'] }),
    );
    clientId = client.clientId;
    audience = api.identifier;
    grantId = grant.id;
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves repeated reads from memory while nothing is written', async () => {
    const { store, reads } = counted(a);
    const cache = createTokenReadCache(store);
    for (let i = 0; i < 5; i++) {
      const view = cache.snapshot();
      expect((await view.getClient(clientId))?.clientId).toBe(clientId);
      expect((await view.getResourceServerByIdentifier(audience))?.identifier).toBe(audience);
      expect((await view.findClientGrant(clientId, audience))?.scope).toEqual([
        'read:contacts',
        'write:contacts',
      ]);
    }
    expect(reads()).toBe(3);
  });

  it('sees a write by this instance on the next snapshot', async () => {
    const cache = createTokenReadCache(a);
    expect((await cache.snapshot().findClientGrant(clientId, audience))?.scope).toHaveLength(2);
    expect((await cache.snapshot().getClient(clientId))?.disabled).toBe(false);
    await a.updateClientGrant(grantId, { scope: ['read:contacts'] });
    expect((await cache.snapshot().findClientGrant(clientId, audience))?.scope).toEqual(['read:contacts']);
    await a.updateClient(clientId, { disabled: true });
    expect((await cache.snapshot().getClient(clientId))?.disabled).toBe(true);
    await a.deleteClientGrant(grantId);
    expect(await cache.snapshot().findClientGrant(clientId, audience)).toBeNull();
  });

  it('sees a write by another instance sharing the file on the next snapshot', async () => {
    const cache = createTokenReadCache(a);
    const view = cache.snapshot();
    expect((await view.findClientGrant(clientId, audience))?.scope).toHaveLength(2);
    expect((await view.getClient(clientId))?.secrets).toHaveLength(1);
    await b.updateClientGrant(grantId, { scope: ['read:contacts'] });
    expect((await cache.snapshot().findClientGrant(clientId, audience))?.scope).toEqual(['read:contacts']);
    await b.updateClient(clientId, { secrets: [] });
    expect((await cache.snapshot().getClient(clientId))?.secrets).toEqual([]);
    await b.updateClient(clientId, { disabled: true });
    expect((await cache.snapshot().getClient(clientId))?.disabled).toBe(true);
  });

  it('never caches an unknown client, API or grant', async () => {
    const { store, reads } = counted(a);
    const cache = createTokenReadCache(store);
    for (let i = 0; i < 3; i++) {
      const view = cache.snapshot();
      expect(await view.getClient('no-such-client')).toBeNull();
      expect(await view.getResourceServerByIdentifier('https://nowhere.test/')).toBeNull();
      expect(await view.findClientGrant(clientId, 'https://nowhere.test/')).toBeNull();
    }
    expect(reads()).toBe(9);
    // Created after a miss: found at once.
    const late = await a.createClient(sampleClient());
    expect((await cache.snapshot().getClient(late.clientId))?.clientId).toBe(late.clientId);
  });

  it('hands out frozen records, so nobody can change what the next request reads', async () => {
    const cache = createTokenReadCache(a);
    await cache.snapshot().getClient(clientId);
    const client = await cache.snapshot().getClient(clientId);
    expect(Object.isFrozen(client)).toBe(true);
  });

  it('keeps a bounded number of entries', async () => {
    const { store, reads } = counted(a);
    const cache = createTokenReadCache(store, { maxEntries: 2 });
    const others = [await a.createClient(sampleClient()), await a.createClient(sampleClient())];
    const ids = [clientId, ...others.map((c) => c.clientId)];
    for (const id of ids) await cache.snapshot().getClient(id);
    const before = reads();
    // The third entry started the map over: the first client is read again.
    await cache.snapshot().getClient(clientId);
    expect(reads()).toBe(before + 1);
  });

  it('reads through a store without a change stamp, and one whose stamp fails', async () => {
    const plain = counted({ ...a, changeStamp: undefined });
    const cache = createTokenReadCache({ ...plain.store, changeStamp: undefined });
    await cache.snapshot().getClient(clientId);
    await cache.snapshot().getClient(clientId);
    expect(plain.reads()).toBe(2);

    const failing = counted(a);
    let broken = false;
    const flaky = createTokenReadCache({
      ...failing.store,
      changeStamp: () => {
        if (broken) throw new Error('The database connection is not open');
        return a.changeStamp!();
      },
    });
    await flaky.snapshot().getClient(clientId);
    await flaky.snapshot().getClient(clientId);
    expect(failing.reads()).toBe(1);
    broken = true;
    await flaky.snapshot().getClient(clientId);
    expect(failing.reads()).toBe(2);
  });
});
