/**
 * The contract of `StoreTransfer` (whole-store export and import), run by `runStoreContract` on
 * every back-end: a store exported and imported into a fresh one of the same back-end reads back
 * identical, record for record, and keeps working (its invariants hold for later writes).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from './store.ts';
import type { StoreContractSubject } from './store-contract.ts';
import { sampleClient, sampleClientGrant, sampleResourceServer, sampleSigningKey } from './store-contract.ts';
import {
  TRANSFER_KINDS,
  type TransferKind,
  type TransferRecords,
  transferRecordKey,
} from './store-transfer.ts';

/** Every record of a kind, sorted by its key. */
async function exportAll<K extends TransferKind>(store: Store, kind: K, batchSize = 100) {
  const all: TransferRecords[K][] = [];
  for await (const batch of store.exportRecords(kind, batchSize)) all.push(...batch);
  return all.sort((a, b) => {
    const ka = transferRecordKey(kind, a);
    const kb = transferRecordKey(kind, b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** Copies every kind from `from` to `to` as `gatehouse store migrate` does. */
async function copy(from: Store, to: Store): Promise<void> {
  for (const kind of TRANSFER_KINDS) {
    for await (const batch of from.exportRecords(kind, 2)) await to.importRecords(kind, batch);
  }
  const { latestSeq } = await from.listRevocationChanges({
    sinceSeq: Number.MAX_SAFE_INTEGER,
    now: Date.now(),
  });
  await to.advanceRevocationSequence(latestSeq);
}

/** A store holding at least one record of every kind, with the awkward values (nulls, disabled, revoked). */
async function seedEverything(store: Store) {
  const rs = await store.createResourceServer(sampleResourceServer());
  const bare = await store.createResourceServer(sampleResourceServer({ routes: null, signingAlg: 'ES256' }));
  const client = await store.createClient(sampleClient());
  const other = await store.createClient(
    sampleClient({
      secrets: [
        { id: 'old0123456789abc', hash: 'cd'.repeat(32), createdAt: 1, expiresAt: Date.now() + 60_000 },
        { id: 'new0123456789abc', hash: 'ef'.repeat(32), createdAt: 2, expiresAt: null },
      ],
      credentials: [],
      metadata: {},
    }),
  );
  const grant = await store.createClientGrant(
    sampleClientGrant(client.clientId, rs.identifier, { scope: ['read:contacts', 'write:contacts'] }),
  );
  await store.createClientGrant(sampleClientGrant(client.clientId, bare.identifier, { tokenLifetime: 60 }));
  await store.createClientGrant(sampleClientGrant(other.clientId, rs.identifier));
  // A reduced grant sets a cut-off; a disabled client its every-audience one.
  await store.updateClientGrant(grant.id, { scope: ['read:contacts'] });
  await store.updateClient(other.clientId, { disabled: true });
  const current = await store.createSigningKey(sampleSigningKey({ status: 'current', activatedAt: 5 }));
  await store.createSigningKey(sampleSigningKey({ status: 'next' }));
  await store.createSigningKey(sampleSigningKey({ status: 'revoked', revokedAt: Date.now() }));
  await store.revokeToken({
    jti: 'jti#with/odd chars',
    audience: rs.identifier,
    clientId: client.clientId,
    expiresAt: Date.now() + 3_600_000,
  });
  await store.revokeToken({
    jti: 'admin-listed',
    audience: rs.identifier,
    clientId: null,
    expiresAt: Date.now() + 60_000,
  });
  await store.recordAssertionJti(client.clientId, 'assertion#1', Date.now() + 60_000);
  return { rs, bare, client, other, current };
}

/** Registers the transfer contract for one back-end; `factory` yields a fresh, empty store each call. */
export function runStoreTransferContract(name: string, factory: () => Promise<StoreContractSubject>): void {
  describe(`Store transfer contract: ${name}`, () => {
    let subjects: StoreContractSubject[];
    const open = async (): Promise<Store> => {
      const subject = await factory();
      subjects.push(subject);
      return subject.store;
    };
    beforeEach(() => {
      subjects = [];
    });
    afterEach(async () => {
      for (const s of subjects) await s.cleanup();
    });

    it('copies every kind of record verbatim into an empty store', async () => {
      const source = await open();
      const target = await open();
      const { client } = await seedEverything(source);
      await copy(source, target);
      for (const kind of TRANSFER_KINDS) {
        const exported = await exportAll(source, kind);
        expect(exported.length, kind).toBeGreaterThan(0);
        expect(await exportAll(target, kind), kind).toEqual(exported);
      }
      const now = Date.now();
      const seqOf = (s: Store) => s.listRevocationChanges({ sinceSeq: Number.MAX_SAFE_INTEGER, now });
      expect((await seqOf(target)).latestSeq).toBe((await seqOf(source)).latestSeq);
      expect(await target.listRevocationChanges({ now })).toEqual(
        await source.listRevocationChanges({ now }),
      );
      expect(await target.getClient(client.clientId)).toEqual(await source.getClient(client.clientId));
      // A used assertion id stays used.
      expect(await target.recordAssertionJti(client.clientId, 'assertion#1', now + 60_000)).toBe(false);
    });

    it('leaves the copy working: lookups, lists, deletes, key activation and new change numbers', async () => {
      const source = await open();
      const target = await open();
      const { rs, client, current } = await seedEverything(source);
      await copy(source, target);
      expect((await target.getResourceServerByIdentifier(rs.identifier))?.id).toBe(rs.id);
      expect((await target.getResourceServer(rs.id))?.identifier).toBe(rs.identifier);
      expect((await target.findClientGrant(client.clientId, rs.identifier))?.scope).toEqual([
        'read:contacts',
      ]);
      expect((await target.findCutoffs(client.clientId, rs.identifier)).length).toBe(1);
      expect((await target.listClients({ page: 0, perPage: 10 })).total).toBe(2);
      expect((await target.listClientGrants({ page: 0, perPage: 10, audience: rs.identifier })).total).toBe(
        2,
      );
      // The current key is the alg's one current key: a second is refused, activation swaps it.
      await expect(
        target.createSigningKey(sampleSigningKey({ alg: current.alg, status: 'current' })),
      ).rejects.toMatchObject({ code: 'ERR_STORE_CONFLICT' });
      const next = await target.createSigningKey(sampleSigningKey({ alg: current.alg }));
      await target.activateSigningKey(next.kid, Date.now());
      expect((await target.getSigningKey(current.kid))?.status).toBe('previous');
      // The API still knows its grants, and the client can be deleted with them.
      await expect(target.deleteResourceServer(rs.id)).rejects.toMatchObject({ code: 'ERR_STORE_CONFLICT' });
      const before = await target.listRevocationChanges({
        sinceSeq: Number.MAX_SAFE_INTEGER,
        now: Date.now(),
      });
      await target.deleteClient(client.clientId);
      expect(await target.findClientGrant(client.clientId, rs.identifier)).toBeNull();
      // New changes are numbered after the copied ones.
      const after = await target.listRevocationChanges({ sinceSeq: before.latestSeq, now: Date.now() });
      expect(after.cutoffs.map((c) => c.clientId)).toEqual([client.clientId]);
      expect(after.cutoffs[0]!.seq).toBeGreaterThan(before.latestSeq);
    });

    it('exports in batches no larger than asked, each record once', async () => {
      const store = await open();
      const ids = new Set<string>();
      for (let i = 0; i < 7; i++) ids.add((await store.createClient(sampleClient())).clientId);
      const seen: string[] = [];
      for await (const batch of store.exportRecords('client', 3)) {
        expect(batch.length).toBeGreaterThan(0);
        expect(batch.length).toBeLessThanOrEqual(3);
        seen.push(...batch.map((c) => c.clientId));
      }
      expect(seen.sort()).toEqual([...ids].sort());
    });

    it('erases every record but keeps the change sequence, which never goes back', async () => {
      const store = await open();
      await seedEverything(store);
      const now = Date.now();
      const { latestSeq } = await store.listRevocationChanges({ sinceSeq: Number.MAX_SAFE_INTEGER, now });
      expect(latestSeq).toBeGreaterThan(0);
      await store.eraseAll();
      for (const kind of TRANSFER_KINDS) expect(await exportAll(store, kind), kind).toEqual([]);
      await store.advanceRevocationSequence(latestSeq - 1);
      const kept = await store.listRevocationChanges({ sinceSeq: Number.MAX_SAFE_INTEGER, now });
      expect(kept.latestSeq).toBe(latestSeq);
      await store.advanceRevocationSequence(latestSeq + 40);
      const cutoff = await store.createCutoff('someone', null);
      expect(cutoff.seq).toBe(latestSeq + 41);
    });
  });
}
