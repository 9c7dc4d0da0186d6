/**
 * The back-end-neutral contract of the `Store` port: every back-end (SQLite, PostgreSQL, DynamoDB)
 * registers this suite from its own test file with a factory that yields a fresh, empty store.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClientGrantId, createClientId, createResourceServerId } from '../ids.ts';
import {
  type CutoffRecord,
  type NewClient,
  type NewClientGrant,
  type NewResourceServer,
  REVOCATION_RETENTION_MS,
  type SigningAlg,
  type SigningKeyRecord,
  type Store,
  StoreConflictError,
  StoreNotFoundError,
  StoreStaleError,
} from './store.ts';
import { runStoreTransferContract } from './store-transfer-contract.ts';

/** What a back-end's factory yields: an empty, migrated store and how to dispose of it. */
export interface StoreContractSubject {
  store: Store;
  cleanup(): Promise<void>;
}

let sequence = 0;

/** A valid new resource server; `overrides` replace fields. */
export function sampleResourceServer(overrides: Partial<NewResourceServer> = {}): NewResourceServer {
  sequence += 1;
  return {
    id: createResourceServerId(),
    identifier: `https://api-${sequence}.example.test/`,
    name: `API ${sequence}`,
    scopes: [
      { value: 'read:contacts', description: 'Read contacts' },
      { value: 'write:contacts', description: 'Write contacts' },
    ],
    signingAlg: 'RS256',
    tokenLifetime: 3600,
    routes: [{ method: 'GET', path: '/contacts/{id}', scopes: ['read:contacts'] }],
    isSystem: false,
    ...overrides,
  };
}

/** A valid new client; `overrides` replace fields. */
export function sampleClient(overrides: Partial<NewClient> = {}): NewClient {
  sequence += 1;
  return {
    clientId: createClientId(),
    name: `client ${sequence}`,
    description: 'a calling service',
    appType: 'non_interactive',
    tokenEndpointAuthMethod: 'client_secret_basic',
    secrets: [
      { id: 'abcdef0123456789', hash: 'ab'.repeat(32), createdAt: 1_700_000_000_000, expiresAt: null },
    ],
    credentials: [
      {
        id: 'cred_1',
        credentialType: 'public_key',
        name: 'ci key',
        pem: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n',
        alg: 'EdDSA',
        createdAt: 1_700_000_000_000,
      },
    ],
    metadata: { team: 'billing' },
    disabled: false,
    ...overrides,
  };
}

/** A valid new client grant for `clientId` at `audience`. */
export function sampleClientGrant(
  clientId: string,
  audience: string,
  overrides: Partial<NewClientGrant> = {},
): NewClientGrant {
  return {
    id: createClientGrantId(),
    clientId,
    audience,
    scope: ['read:contacts'],
    tokenLifetime: null,
    ...overrides,
  };
}

/** A signing key record with opaque key material (the store never interprets it). */
export function sampleSigningKey(overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  sequence += 1;
  const kid = `kid-${sequence}-${createClientId()}`;
  return {
    kid,
    alg: 'EdDSA' as SigningAlg,
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x: `x${sequence}`, kid, alg: 'EdDSA', use: 'sig' },
    encryptedPrivateKey: `v1.iv${sequence}.ct.tag`,
    status: 'next',
    createdAt: 1_700_000_000_000 + sequence,
    activatedAt: null,
    retiredAt: null,
    revokedAt: null,
    ...overrides,
  };
}

/**
 * Registers the Store contract suite for one back-end. `factory` runs before every test.
 * `independentFactory`, when given, yields stores independent of each other (the transfer contract
 * opens two at once); by default `factory` must.
 */
export function runStoreContract(
  name: string,
  factory: () => Promise<StoreContractSubject>,
  independentFactory: () => Promise<StoreContractSubject> = factory,
): void {
  runStoreTransferContract(name, independentFactory);
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await factory());
    });
    afterEach(async () => {
      await cleanup();
    });

    /** A client with a grant at an API: the usual starting point. */
    async function seedGrant() {
      const rs = await store.createResourceServer(sampleResourceServer());
      const client = await store.createClient(sampleClient());
      const grant = await store.createClientGrant(sampleClientGrant(client.clientId, rs.identifier));
      return { rs, client, grant };
    }

    it('answers the exact total by default, and at least a lower bound when totals are not wanted', async () => {
      for (let i = 0; i < 5; i++) await store.createClient(sampleClient());
      const exact = await store.listClients({ page: 0, perPage: 2 });
      expect(exact.total).toBe(5);
      const page = await store.listClients({ page: 1, perPage: 2, includeTotals: false });
      expect(page.items.map((c) => c.clientId)).toEqual(
        (await store.listClients({ page: 1, perPage: 2 })).items.map((c) => c.clientId),
      );
      expect(page.total).toBeGreaterThanOrEqual(4);
      expect(page.total).toBeLessThanOrEqual(5);
    });

    it('answers a ping and tolerates migrate() again', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      await store.migrate();
      await store.migrate();
    });

    describe('resource servers', () => {
      it('creates one and reads it back by id and by identifier', async () => {
        const input = sampleResourceServer({ signingAlg: 'ES256', tokenLifetime: 120 });
        const created = await store.createResourceServer(input);
        expect(created).toMatchObject(input);
        expect(typeof created.createdAt).toBe('number');
        expect(created.updatedAt).toBe(created.createdAt);
        expect(await store.getResourceServer(input.id)).toEqual(created);
        expect(await store.getResourceServerByIdentifier(input.identifier)).toEqual(created);
      });

      it('keeps a null route policy and the system flag', async () => {
        const created = await store.createResourceServer(
          sampleResourceServer({ routes: null, isSystem: true }),
        );
        expect(await store.getResourceServer(created.id)).toMatchObject({ routes: null, isSystem: true });
      });

      it('answers null for an unknown id or identifier', async () => {
        expect(await store.getResourceServer(createResourceServerId())).toBeNull();
        expect(await store.getResourceServerByIdentifier('https://nowhere.test/')).toBeNull();
      });

      it('refuses a second resource server with the same identifier and keeps the first', async () => {
        const first = await store.createResourceServer(sampleResourceServer());
        const dup = sampleResourceServer({ identifier: first.identifier, name: 'impostor' });
        await expect(store.createResourceServer(dup)).rejects.toBeInstanceOf(StoreConflictError);
        expect(await store.getResourceServer(dup.id)).toBeNull();
        expect(await store.getResourceServerByIdentifier(first.identifier)).toEqual(first);
        expect((await store.listResourceServers({ page: 0, perPage: 10 })).total).toBe(1);
      });

      it('refuses a duplicate id', async () => {
        const first = await store.createResourceServer(sampleResourceServer());
        await expect(
          store.createResourceServer(sampleResourceServer({ id: first.id })),
        ).rejects.toBeInstanceOf(StoreConflictError);
        expect(await store.getResourceServer(first.id)).toEqual(first);
      });

      it('updates only the given fields and moves updatedAt forward', async () => {
        const created = await store.createResourceServer(sampleResourceServer());
        const updated = await store.updateResourceServer(created.id, {
          name: 'renamed',
          tokenLifetime: 60,
          routes: null,
          scopes: [{ value: 'admin', description: 'Everything' }],
        });
        expect(updated).toEqual({
          ...created,
          name: 'renamed',
          tokenLifetime: 60,
          routes: null,
          scopes: [{ value: 'admin', description: 'Everything' }],
          updatedAt: updated.updatedAt,
        });
        expect(updated.updatedAt).toBeGreaterThanOrEqual(created.updatedAt);
        expect(await store.getResourceServer(created.id)).toEqual(updated);
      });

      it('ignores fields a patch leaves undefined', async () => {
        const created = await store.createResourceServer(sampleResourceServer());
        const updated = await store.updateResourceServer(created.id, {
          name: undefined,
          signingAlg: 'PS256',
        });
        expect(updated.name).toBe(created.name);
        expect(updated.signingAlg).toBe('PS256');
      });

      it('refuses to update or delete an unknown resource server', async () => {
        const id = createResourceServerId();
        await expect(store.updateResourceServer(id, { name: 'x' })).rejects.toBeInstanceOf(
          StoreNotFoundError,
        );
        await expect(store.deleteResourceServer(id)).rejects.toBeInstanceOf(StoreNotFoundError);
        expect(await store.getResourceServer(id)).toBeNull();
      });

      it('deletes a resource server without grants', async () => {
        const created = await store.createResourceServer(sampleResourceServer());
        await store.deleteResourceServer(created.id);
        expect(await store.getResourceServer(created.id)).toBeNull();
        expect(await store.getResourceServerByIdentifier(created.identifier)).toBeNull();
      });

      it('lets a deleted identifier be used again', async () => {
        const created = await store.createResourceServer(sampleResourceServer());
        await store.deleteResourceServer(created.id);
        const again = await store.createResourceServer(
          sampleResourceServer({ identifier: created.identifier }),
        );
        expect(await store.getResourceServerByIdentifier(created.identifier)).toEqual(again);
      });

      it('refuses to delete the system resource server, even with force', async () => {
        const system = await store.createResourceServer(sampleResourceServer({ isSystem: true }));
        await expect(store.deleteResourceServer(system.id)).rejects.toBeInstanceOf(StoreConflictError);
        await expect(store.deleteResourceServer(system.id, { force: true })).rejects.toBeInstanceOf(
          StoreConflictError,
        );
        expect(await store.getResourceServer(system.id)).toEqual(system);
      });

      it('refuses to delete a resource server that has grants and changes nothing', async () => {
        const { rs, grant } = await seedGrant();
        await expect(store.deleteResourceServer(rs.id)).rejects.toBeInstanceOf(StoreConflictError);
        await expect(store.deleteResourceServer(rs.id, { force: false })).rejects.toBeInstanceOf(
          StoreConflictError,
        );
        expect(await store.getResourceServer(rs.id)).toEqual(rs);
        expect(await store.getClientGrant(grant.id)).toEqual(grant);
      });

      it('deletes a resource server and only its grants with force', async () => {
        const { rs, client, grant } = await seedGrant();
        const other = await store.createResourceServer(sampleResourceServer());
        const otherGrant = await store.createClientGrant(
          sampleClientGrant(client.clientId, other.identifier),
        );
        await store.deleteResourceServer(rs.id, { force: true });
        expect(await store.getResourceServer(rs.id)).toBeNull();
        expect(await store.getClientGrant(grant.id)).toBeNull();
        expect(await store.findClientGrant(client.clientId, rs.identifier)).toBeNull();
        expect(await store.getClientGrant(otherGrant.id)).toEqual(otherGrant);
        expect(await store.getClient(client.clientId)).toEqual(client);
      });
    });

    describe('clients', () => {
      it('creates one and reads back every field', async () => {
        const input = sampleClient({ tokenEndpointAuthMethod: 'client_secret_post', disabled: true });
        const created = await store.createClient(input);
        expect(created).toMatchObject(input);
        expect(created.updatedAt).toBe(created.createdAt);
        expect(await store.getClient(input.clientId)).toEqual(created);
      });

      it('answers null for an unknown client', async () => {
        expect(await store.getClient(createClientId())).toBeNull();
      });

      it('refuses a duplicate client id and keeps the first', async () => {
        const first = await store.createClient(sampleClient());
        await expect(
          store.createClient(sampleClient({ clientId: first.clientId, name: 'impostor' })),
        ).rejects.toBeInstanceOf(StoreConflictError);
        expect(await store.getClient(first.clientId)).toEqual(first);
      });

      it('replaces secrets, credentials and metadata on update', async () => {
        const created = await store.createClient(sampleClient());
        const secrets = [
          { id: '1111111111111111', hash: 'cd'.repeat(32), createdAt: 1, expiresAt: 2 },
          { id: '2222222222222222', hash: 'ef'.repeat(32), createdAt: 3, expiresAt: null },
        ];
        const updated = await store.updateClient(created.clientId, {
          secrets,
          credentials: [],
          metadata: { a: '1', b: '2' },
          disabled: true,
          description: '',
        });
        expect(updated).toMatchObject({
          secrets,
          credentials: [],
          metadata: { a: '1', b: '2' },
          disabled: true,
        });
        expect(updated.name).toBe(created.name);
        expect(updated.createdAt).toBe(created.createdAt);
        expect(await store.getClient(created.clientId)).toEqual(updated);
      });

      it('applies a conditional update only to the state it read, and moves updatedAt past it', async () => {
        const created = await store.createClient(sampleClient());
        const secret = { id: '3333333333333333', hash: 'ab'.repeat(32), createdAt: 1, expiresAt: null };
        const first = await store.updateClient(
          created.clientId,
          { secrets: [secret] },
          { ifUpdatedAt: created.updatedAt },
        );
        expect(first.updatedAt).toBeGreaterThan(created.updatedAt);
        // a writer that read the client before that update loses, and writes nothing
        await expect(
          store.updateClient(created.clientId, { secrets: [] }, { ifUpdatedAt: created.updatedAt }),
        ).rejects.toBeInstanceOf(StoreStaleError);
        await expect(
          store.updateClient(created.clientId, { disabled: true }, { ifUpdatedAt: created.updatedAt }),
        ).rejects.toBeInstanceOf(StoreStaleError);
        expect(await store.getClient(created.clientId)).toEqual(first);
        // two updates within one millisecond still leave different stamps
        const second = await store.updateClient(
          created.clientId,
          { name: 'a' },
          { ifUpdatedAt: first.updatedAt },
        );
        const third = await store.updateClient(
          created.clientId,
          { name: 'b' },
          { ifUpdatedAt: second.updatedAt },
        );
        expect(third.updatedAt).toBeGreaterThan(second.updatedAt);
        expect(second.updatedAt).toBeGreaterThan(first.updatedAt);
        const disabled = await store.updateClient(
          created.clientId,
          { disabled: true },
          { ifUpdatedAt: third.updatedAt },
        );
        expect(disabled).toMatchObject({ disabled: true, name: 'b', secrets: [secret] });
        await expect(
          store.updateClient(createClientId(), { name: 'x' }, { ifUpdatedAt: 1 }),
        ).rejects.toBeInstanceOf(StoreNotFoundError);
      });

      it('refuses to update or delete an unknown client', async () => {
        const id = createClientId();
        await expect(store.updateClient(id, { name: 'x' })).rejects.toBeInstanceOf(StoreNotFoundError);
        await expect(store.deleteClient(id)).rejects.toBeInstanceOf(StoreNotFoundError);
        expect(await store.getClient(id)).toBeNull();
      });

      it('deletes a client together with its grants, and only its grants', async () => {
        const { rs, client, grant } = await seedGrant();
        const other = await store.createClient(sampleClient());
        const otherGrant = await store.createClientGrant(sampleClientGrant(other.clientId, rs.identifier));
        await store.deleteClient(client.clientId);
        expect(await store.getClient(client.clientId)).toBeNull();
        expect(await store.getClientGrant(grant.id)).toBeNull();
        expect(await store.findClientGrant(client.clientId, rs.identifier)).toBeNull();
        expect(await store.getClientGrant(otherGrant.id)).toEqual(otherGrant);
        // The API is now free of the deleted client's grant: only the other one holds it.
        await expect(store.deleteResourceServer(rs.id)).rejects.toBeInstanceOf(StoreConflictError);
        await store.deleteClientGrant(otherGrant.id);
        await store.deleteResourceServer(rs.id);
      });
    });

    describe('client grants', () => {
      it('creates one and finds it by id and by client and audience', async () => {
        const { rs, client, grant } = await seedGrant();
        expect(grant).toMatchObject({
          clientId: client.clientId,
          audience: rs.identifier,
          scope: ['read:contacts'],
        });
        expect(grant.tokenLifetime).toBeNull();
        expect(grant.updatedAt).toBe(grant.createdAt);
        expect(await store.getClientGrant(grant.id)).toEqual(grant);
        expect(await store.findClientGrant(client.clientId, rs.identifier)).toEqual(grant);
      });

      it('answers null for unknown grants', async () => {
        const { rs, client } = await seedGrant();
        expect(await store.getClientGrant(createClientGrantId())).toBeNull();
        expect(await store.findClientGrant(client.clientId, `${rs.identifier}other`)).toBeNull();
        expect(await store.findClientGrant(createClientId(), rs.identifier)).toBeNull();
      });

      it('refuses a second grant for the same client and audience and keeps the first', async () => {
        const { rs, client, grant } = await seedGrant();
        const dup = sampleClientGrant(client.clientId, rs.identifier, { scope: ['write:contacts'] });
        await expect(store.createClientGrant(dup)).rejects.toBeInstanceOf(StoreConflictError);
        expect(await store.getClientGrant(dup.id)).toBeNull();
        expect(await store.findClientGrant(client.clientId, rs.identifier)).toEqual(grant);
      });

      it('refuses a duplicate grant id', async () => {
        const { client, grant } = await seedGrant();
        const rs2 = await store.createResourceServer(sampleResourceServer());
        await expect(
          store.createClientGrant(sampleClientGrant(client.clientId, rs2.identifier, { id: grant.id })),
        ).rejects.toBeInstanceOf(StoreConflictError);
        expect(await store.findClientGrant(client.clientId, rs2.identifier)).toBeNull();
      });

      it('lets exactly one of several concurrent identical grants win', async () => {
        const rs = await store.createResourceServer(sampleResourceServer());
        const client = await store.createClient(sampleClient());
        const attempts = Array.from({ length: 8 }, () =>
          store.createClientGrant(sampleClientGrant(client.clientId, rs.identifier)),
        );
        const results = await Promise.allSettled(attempts);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(7);
        for (const r of lost) expect(r.reason).toBeInstanceOf(StoreConflictError);
        const page = await store.listClientGrants({ page: 0, perPage: 50, clientId: client.clientId });
        expect(page.total).toBe(1);
      });

      it('refuses a grant for a missing client or a missing API and writes nothing', async () => {
        const rs = await store.createResourceServer(sampleResourceServer());
        const client = await store.createClient(sampleClient());
        const noClient = sampleClientGrant(createClientId(), rs.identifier);
        const noApi = sampleClientGrant(client.clientId, 'https://missing.test/');
        await expect(store.createClientGrant(noClient)).rejects.toBeInstanceOf(StoreNotFoundError);
        await expect(store.createClientGrant(noApi)).rejects.toBeInstanceOf(StoreNotFoundError);
        expect(await store.getClientGrant(noClient.id)).toBeNull();
        expect(await store.getClientGrant(noApi.id)).toBeNull();
        expect((await store.listClientGrants({ page: 0, perPage: 10 })).total).toBe(0);
      });

      it('updates scope and token lifetime, and can reset the lifetime to inherit', async () => {
        const { grant } = await seedGrant();
        const narrowed = await store.updateClientGrant(grant.id, { scope: [], tokenLifetime: 300 });
        expect(narrowed).toMatchObject({
          id: grant.id,
          scope: [],
          tokenLifetime: 300,
          createdAt: grant.createdAt,
        });
        expect(narrowed.updatedAt).toBeGreaterThanOrEqual(grant.updatedAt);
        const inherited = await store.updateClientGrant(grant.id, { tokenLifetime: null });
        expect(inherited).toMatchObject({ scope: [], tokenLifetime: null });
        expect(await store.getClientGrant(grant.id)).toEqual(inherited);
      });

      it('refuses to update or delete an unknown grant', async () => {
        const id = createClientGrantId();
        await expect(store.updateClientGrant(id, { scope: ['x'] })).rejects.toBeInstanceOf(
          StoreNotFoundError,
        );
        await expect(store.deleteClientGrant(id)).rejects.toBeInstanceOf(StoreNotFoundError);
        expect(await store.getClientGrant(id)).toBeNull();
      });

      it('deletes a grant', async () => {
        const { rs, client, grant } = await seedGrant();
        await store.deleteClientGrant(grant.id);
        expect(await store.getClientGrant(grant.id)).toBeNull();
        expect(await store.findClientGrant(client.clientId, rs.identifier)).toBeNull();
        await store.deleteResourceServer(rs.id);
      });

      it('filters the list by client, by audience and by both', async () => {
        const a = await store.createResourceServer(sampleResourceServer());
        const b = await store.createResourceServer(sampleResourceServer());
        const c1 = await store.createClient(sampleClient());
        const c2 = await store.createClient(sampleClient());
        const g1a = await store.createClientGrant(sampleClientGrant(c1.clientId, a.identifier));
        const g1b = await store.createClientGrant(sampleClientGrant(c1.clientId, b.identifier));
        const g2a = await store.createClientGrant(sampleClientGrant(c2.clientId, a.identifier));
        const ids = async (q: { clientId?: string; audience?: string }) =>
          (await store.listClientGrants({ page: 0, perPage: 10, ...q })).items.map((g) => g.id).sort();
        expect(await ids({})).toEqual([g1a.id, g1b.id, g2a.id].sort());
        expect(await ids({ clientId: c1.clientId })).toEqual([g1a.id, g1b.id].sort());
        expect(await ids({ audience: a.identifier })).toEqual([g1a.id, g2a.id].sort());
        expect(await ids({ clientId: c2.clientId, audience: b.identifier })).toEqual([]);
        const filtered = await store.listClientGrants({ page: 0, perPage: 1, audience: a.identifier });
        expect(filtered.total).toBe(2);
        expect(filtered.items).toHaveLength(1);
      });
    });

    describe('paging', () => {
      type Entity = { key: string; createdAt: number };
      async function assertPaging(
        total: number,
        list: (page: number, perPage: number) => Promise<{ items: Entity[]; total: number }>,
      ): Promise<void> {
        const all = await list(0, 1000);
        expect(all.total).toBe(total);
        expect(all.items).toHaveLength(total);
        const sorted = [...all.items].sort((x, y) => x.createdAt - y.createdAt || (x.key < y.key ? -1 : 1));
        expect(all.items.map((e) => e.key)).toEqual(sorted.map((e) => e.key));

        const seen: string[] = [];
        const perPage = 3;
        for (let page = 0; page * perPage < total; page += 1) {
          const p = await list(page, perPage);
          expect(p.total).toBe(total);
          expect(p.items.length).toBe(Math.min(perPage, total - page * perPage));
          expect((await list(page, perPage)).items.map((e) => e.key)).toEqual(p.items.map((e) => e.key));
          seen.push(...p.items.map((e) => e.key));
        }
        expect(seen).toEqual(all.items.map((e) => e.key));
        const past = await list(Math.ceil(total / perPage), perPage);
        expect(past.items).toEqual([]);
        expect(past.total).toBe(total);
        expect((await list(1000, perPage)).items).toEqual([]);
      }

      it('pages resource servers in a stable created-then-id order', async () => {
        for (let i = 0; i < 7; i += 1) await store.createResourceServer(sampleResourceServer());
        await assertPaging(7, async (page, perPage) => {
          const r = await store.listResourceServers({ page, perPage });
          return { total: r.total, items: r.items.map((x) => ({ key: x.id, createdAt: x.createdAt })) };
        });
      });

      it('pages clients in a stable created-then-id order', async () => {
        for (let i = 0; i < 8; i += 1) await store.createClient(sampleClient());
        await assertPaging(8, async (page, perPage) => {
          const r = await store.listClients({ page, perPage });
          return { total: r.total, items: r.items.map((x) => ({ key: x.clientId, createdAt: x.createdAt })) };
        });
      });

      it('pages client grants in a stable created-then-id order', async () => {
        const rs = await store.createResourceServer(sampleResourceServer());
        for (let i = 0; i < 6; i += 1) {
          const c = await store.createClient(sampleClient());
          await store.createClientGrant(sampleClientGrant(c.clientId, rs.identifier));
        }
        await assertPaging(6, async (page, perPage) => {
          const r = await store.listClientGrants({ page, perPage });
          return { total: r.total, items: r.items.map((x) => ({ key: x.id, createdAt: x.createdAt })) };
        });
      });

      it('answers an empty first page with a zero total on an empty store', async () => {
        expect(await store.listResourceServers({ page: 0, perPage: 5 })).toEqual({ items: [], total: 0 });
        expect(await store.listClients({ page: 0, perPage: 5 })).toEqual({ items: [], total: 0 });
        expect(await store.listClientGrants({ page: 0, perPage: 5 })).toEqual({ items: [], total: 0 });
      });
    });

    describe('signing keys', () => {
      it('creates keys and lists them newest first', async () => {
        const older = await store.createSigningKey(sampleSigningKey({ createdAt: 1_000 }));
        const newer = await store.createSigningKey(sampleSigningKey({ createdAt: 2_000, alg: 'RS256' }));
        expect(await store.getSigningKey(older.kid)).toEqual(older);
        expect((await store.listSigningKeys()).map((k) => k.kid)).toEqual([newer.kid, older.kid]);
        expect(await store.getSigningKey('no-such-kid')).toBeNull();
      });

      it('keeps every field of a key as given', async () => {
        const input = sampleSigningKey({
          status: 'current',
          activatedAt: 5,
          retiredAt: null,
          revokedAt: null,
        });
        expect(await store.createSigningKey(input)).toEqual(input);
      });

      it('refuses a duplicate kid', async () => {
        const k = await store.createSigningKey(sampleSigningKey());
        await expect(store.createSigningKey({ ...sampleSigningKey(), kid: k.kid })).rejects.toBeInstanceOf(
          StoreConflictError,
        );
        expect(await store.getSigningKey(k.kid)).toEqual(k);
      });

      it('allows one current key per algorithm', async () => {
        const rs = await store.createSigningKey(
          sampleSigningKey({ alg: 'RS256', status: 'current', activatedAt: 1 }),
        );
        await store.createSigningKey(sampleSigningKey({ alg: 'ES256', status: 'current', activatedAt: 1 }));
        const second = sampleSigningKey({ alg: 'RS256', status: 'current', activatedAt: 2 });
        await expect(store.createSigningKey(second)).rejects.toBeInstanceOf(StoreConflictError);
        expect(await store.getSigningKey(second.kid)).toBeNull();
        const next = await store.createSigningKey(sampleSigningKey({ alg: 'RS256' }));
        await expect(store.updateSigningKey(next.kid, { status: 'current' })).rejects.toBeInstanceOf(
          StoreConflictError,
        );
        expect(await store.getSigningKey(next.kid)).toEqual(next);
        expect((await store.getSigningKey(rs.kid))?.status).toBe('current');
      });

      it('updates status and times', async () => {
        const k = await store.createSigningKey(sampleSigningKey({ status: 'current', activatedAt: 10 }));
        const retired = await store.updateSigningKey(k.kid, { status: 'previous', retiredAt: 20 });
        expect(retired).toEqual({ ...k, status: 'previous', retiredAt: 20 });
        const revoked = await store.updateSigningKey(k.kid, { status: 'revoked', revokedAt: 30 });
        expect(revoked).toEqual({ ...k, status: 'revoked', retiredAt: 20, revokedAt: 30 });
        expect(await store.getSigningKey(k.kid)).toEqual(revoked);
      });

      it('refuses to update an unknown key', async () => {
        await expect(store.updateSigningKey('no-such-kid', { status: 'revoked' })).rejects.toBeInstanceOf(
          StoreNotFoundError,
        );
        expect(await store.listSigningKeys()).toEqual([]);
      });

      it('activates a next key and retires the current one in one step', async () => {
        const old = await store.createSigningKey(
          sampleSigningKey({ alg: 'PS256', status: 'current', activatedAt: 1 }),
        );
        const other = await store.createSigningKey(
          sampleSigningKey({ alg: 'ES256', status: 'current', activatedAt: 1 }),
        );
        const next = await store.createSigningKey(sampleSigningKey({ alg: 'PS256' }));
        const activated = await store.activateSigningKey(next.kid, 500);
        expect(activated).toEqual({ ...next, status: 'current', activatedAt: 500 });
        expect(await store.getSigningKey(next.kid)).toEqual(activated);
        expect(await store.getSigningKey(old.kid)).toEqual({ ...old, status: 'previous', retiredAt: 500 });
        expect(await store.getSigningKey(other.kid)).toEqual(other);
        expect(await store.activateSigningKey(next.kid, 900)).toEqual(activated);
      });

      it('refuses to activate a revoked or unknown key', async () => {
        const revoked = await store.createSigningKey(sampleSigningKey({ status: 'revoked', revokedAt: 3 }));
        await expect(store.activateSigningKey(revoked.kid, 9)).rejects.toBeInstanceOf(StoreConflictError);
        expect(await store.getSigningKey(revoked.kid)).toEqual(revoked);
        await expect(store.activateSigningKey('no-such-kid', 9)).rejects.toBeInstanceOf(StoreNotFoundError);
      });
    });

    describe('revocation: deny-list, cut-offs, revoked keys', () => {
      const HOUR = 3_600_000;
      const cutoffsOf = async (clientId: string, audience: string): Promise<CutoffRecord[]> =>
        store.findCutoffs(clientId, audience);
      const latestSeq = async () => (await store.listRevocationChanges({ now: Date.now() })).latestSeq;

      it('starts with an empty feed at sequence 0', async () => {
        expect(await store.listRevocationChanges({ now: Date.now() })).toEqual({
          latestSeq: 0,
          tokens: [],
          cutoffs: [],
          keys: [],
        });
      });

      it('deny-lists a token once: revoking it again answers the first entry unchanged', async () => {
        const before = Date.now();
        const expiresAt = before + HOUR;
        const first = await store.revokeToken({
          jti: 'jti-1',
          audience: 'https://a.test/',
          clientId: 'c1',
          expiresAt,
        });
        expect(first).toMatchObject({
          jti: 'jti-1',
          audience: 'https://a.test/',
          clientId: 'c1',
          expiresAt,
          seq: 1,
        });
        expect(first.revokedAt).toBeGreaterThanOrEqual(before);
        const again = await store.revokeToken({
          jti: 'jti-1',
          audience: 'https://a.test/',
          clientId: null,
          expiresAt: expiresAt + 5,
        });
        expect(again).toEqual(first);
        expect(await store.getRevokedToken('https://a.test/', 'jti-1')).toEqual(first);
        expect(await store.getRevokedToken('https://b.test/', 'jti-1')).toBeNull();
        expect(await store.getRevokedToken('https://a.test/', 'jti-2')).toBeNull();
        expect(await latestSeq()).toBe(1);
      });

      it('lists live deny-list entries in change order, per audience and up to a limit', async () => {
        const now = Date.now();
        const a1 = await store.revokeToken({
          jti: 'a1',
          audience: 'https://a.test/',
          clientId: null,
          expiresAt: now + HOUR,
        });
        await store.revokeToken({
          jti: 'gone',
          audience: 'https://a.test/',
          clientId: null,
          expiresAt: now - 1,
        });
        const b1 = await store.revokeToken({
          jti: 'b1',
          audience: 'https://b.test/',
          clientId: 'c',
          expiresAt: now + HOUR,
        });
        const a2 = await store.revokeToken({
          jti: 'a2',
          audience: 'https://a.test/',
          clientId: 'c',
          expiresAt: now + 2 * HOUR,
        });
        expect(await store.listRevokedTokens({ now, limit: 10 })).toEqual([a1, b1, a2]);
        expect(await store.listRevokedTokens({ audience: 'https://a.test/', now, limit: 10 })).toEqual([
          a1,
          a2,
        ]);
        expect(await store.listRevokedTokens({ now, limit: 2 })).toEqual([a1, b1]);
        expect(await store.listRevokedTokens({ now: now + HOUR, limit: 10 })).toEqual([a2]);
      });

      it('sets a cut-off at the current time, moves it forward with a new sequence number, never back', async () => {
        const before = Date.now();
        const first = await store.createCutoff('client-a', 'https://a.test/');
        expect(first.clientId).toBe('client-a');
        expect(first.audience).toBe('https://a.test/');
        expect(first.at).toBeGreaterThan(before);
        expect(first.at).toBeLessThanOrEqual(Date.now() + 1);
        await new Promise((r) => setTimeout(r, 5));
        const second = await store.createCutoff('client-a', 'https://a.test/');
        expect(second.seq).toBeGreaterThan(first.seq);
        expect(second.at).toBeGreaterThan(first.at);
        const all = await store.createCutoff('client-a', null);
        expect(all.audience).toBeNull();
        await store.createCutoff('client-b', 'https://a.test/');
        await store.createCutoff('client-a', 'https://b.test/');
        const found = await cutoffsOf('client-a', 'https://a.test/');
        expect(found.map((c) => [c.audience, c.at])).toEqual([
          ['https://a.test/', second.at],
          [null, all.at],
        ]);
        expect(await cutoffsOf('client-c', 'https://a.test/')).toEqual([]);
        const changes = await store.listRevocationChanges({ now: Date.now() });
        expect(changes.cutoffs).toHaveLength(4);
      });

      it('numbers every change in one sequence and answers only what came after a cursor', async () => {
        const now = Date.now();
        const t = await store.revokeToken({
          jti: 'x',
          audience: 'https://a.test/',
          clientId: 'c',
          expiresAt: now + HOUR,
        });
        const c = await store.createCutoff('c', null);
        const key = await store.createSigningKey(sampleSigningKey());
        await store.updateSigningKey(key.kid, { status: 'revoked', revokedAt: now });
        const full = await store.listRevocationChanges({ now });
        expect(full.latestSeq).toBe(3);
        expect(full.tokens).toEqual([t]);
        expect(full.cutoffs).toEqual([c]);
        expect(full.keys).toEqual([{ kid: key.kid, revokedAt: now, seq: 3 }]);
        expect(await store.listRevocationChanges({ sinceSeq: 1, now })).toEqual({
          latestSeq: 3,
          tokens: [],
          cutoffs: [c],
          keys: full.keys,
        });
        expect(await store.listRevocationChanges({ sinceSeq: 3, now })).toEqual({
          latestSeq: 3,
          tokens: [],
          cutoffs: [],
          keys: [],
        });
      });

      it('gives concurrent changes distinct sequence numbers and loses none', async () => {
        const now = Date.now();
        await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            i % 2 === 0
              ? store.revokeToken({
                  jti: `j${i}`,
                  audience: 'https://a.test/',
                  clientId: null,
                  expiresAt: now + HOUR,
                })
              : store.createCutoff(`client-${i}`, null),
          ),
        );
        const changes = await store.listRevocationChanges({ now });
        const seqs = [...changes.tokens, ...changes.cutoffs].map((e) => e.seq).sort((a, b) => a - b);
        expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect(changes.latestSeq).toBe(8);
      });

      it('cuts off a client at an API when its grant loses a scope, and not when it gains one', async () => {
        const { rs, client, grant } = await seedGrant();
        await store.updateClientGrant(grant.id, { scope: ['read:contacts', 'write:contacts'] });
        await store.updateClientGrant(grant.id, { tokenLifetime: 60 });
        expect(await cutoffsOf(client.clientId, rs.identifier)).toEqual([]);
        const before = Date.now();
        await store.updateClientGrant(grant.id, { scope: ['write:contacts'] });
        const [cut] = await cutoffsOf(client.clientId, rs.identifier);
        expect(cut).toMatchObject({ clientId: client.clientId, audience: rs.identifier });
        expect(cut!.at).toBeGreaterThanOrEqual(before);
      });

      it('cuts off a client at an API when its grant is deleted', async () => {
        const { rs, client, grant } = await seedGrant();
        await store.deleteClientGrant(grant.id);
        expect(await cutoffsOf(client.clientId, rs.identifier)).toMatchObject([
          { clientId: client.clientId, audience: rs.identifier },
        ]);
      });

      it('cuts off a client everywhere when it is disabled or deleted, not when it is renamed or enabled', async () => {
        const { rs, client } = await seedGrant();
        await store.updateClient(client.clientId, { name: 'renamed' });
        expect(await cutoffsOf(client.clientId, rs.identifier)).toEqual([]);
        await store.updateClient(client.clientId, { disabled: true });
        const [disabled] = await cutoffsOf(client.clientId, rs.identifier);
        expect(disabled).toMatchObject({ clientId: client.clientId, audience: null });
        await store.updateClient(client.clientId, { disabled: false });
        await store.updateClient(client.clientId, { disabled: false });
        expect((await cutoffsOf(client.clientId, rs.identifier))[0]!.seq).toBe(disabled!.seq);
        await store.deleteClient(client.clientId);
        const [deleted] = await cutoffsOf(client.clientId, rs.identifier);
        expect(deleted).toMatchObject({ clientId: client.clientId, audience: null });
        expect(deleted!.seq).toBeGreaterThan(disabled!.seq);
      });

      it('cuts off every client whose grant goes with a force-deleted API', async () => {
        const { rs, client } = await seedGrant();
        const other = await store.createClient(sampleClient());
        await store.createClientGrant(sampleClientGrant(other.clientId, rs.identifier));
        await store.deleteResourceServer(rs.id, { force: true });
        expect(await cutoffsOf(client.clientId, rs.identifier)).toHaveLength(1);
        expect(await cutoffsOf(other.clientId, rs.identifier)).toHaveLength(1);
      });

      it('adds no cut-off when the change itself fails', async () => {
        await expect(store.updateClientGrant(createClientGrantId(), { scope: [] })).rejects.toBeInstanceOf(
          StoreNotFoundError,
        );
        await expect(store.deleteClientGrant(createClientGrantId())).rejects.toBeInstanceOf(
          StoreNotFoundError,
        );
        await expect(store.deleteClient(createClientId())).rejects.toBeInstanceOf(StoreNotFoundError);
        await expect(store.updateClient(createClientId(), { disabled: true })).rejects.toBeInstanceOf(
          StoreNotFoundError,
        );
        expect(await store.listRevocationChanges({ now: Date.now() })).toMatchObject({
          cutoffs: [],
          latestSeq: 0,
        });
      });

      it('lists a key once when it is revoked, and one stored as revoked', async () => {
        const key = await store.createSigningKey(sampleSigningKey());
        await store.updateSigningKey(key.kid, { status: 'revoked', revokedAt: 1_000 });
        await store.updateSigningKey(key.kid, { status: 'revoked', revokedAt: 2_000 });
        const born = await store.createSigningKey(sampleSigningKey({ status: 'revoked', revokedAt: 3_000 }));
        const { keys } = await store.listRevocationChanges({ now: 3_000 });
        expect(keys).toEqual([
          { kid: key.kid, revokedAt: 1_000, seq: 1 },
          { kid: born.kid, revokedAt: 3_000, seq: 2 },
        ]);
      });

      it('drops entries from the feed after their retention and prunes them, keeping the sequence', async () => {
        const now = Date.now();
        await store.revokeToken({
          jti: 'short',
          audience: 'https://a.test/',
          clientId: null,
          expiresAt: now + 1_000,
        });
        await store.revokeToken({
          jti: 'long',
          audience: 'https://a.test/',
          clientId: null,
          expiresAt: now + HOUR,
        });
        const cut = await store.createCutoff('c', 'https://a.test/');
        const key = await store.createSigningKey(sampleSigningKey({ status: 'revoked', revokedAt: now }));
        const later = now + 2_000;
        const mid = await store.listRevocationChanges({ now: later });
        expect(mid.tokens.map((t) => t.jti)).toEqual(['long']);
        expect(mid.cutoffs).toHaveLength(1);
        const afterRetention = cut.at + REVOCATION_RETENTION_MS;
        const end = await store.listRevocationChanges({ now: afterRetention });
        expect(end).toEqual({ latestSeq: 4, tokens: [], cutoffs: [], keys: [] });
        expect(await store.pruneRevocations(later)).toBe(1);
        expect(await store.getRevokedToken('https://a.test/', 'short')).toBeNull();
        expect(await store.getRevokedToken('https://a.test/', 'long')).not.toBeNull();
        expect(await store.pruneRevocations(afterRetention + 1)).toBe(3);
        expect(await store.findCutoffs('c', 'https://a.test/')).toEqual([]);
        expect((await store.listRevocationChanges({ now })).latestSeq).toBe(4);
        expect(key.status).toBe('revoked');
        const next = await store.createCutoff('c', null);
        expect(next.seq).toBe(5);
      });
    });

    describe('used client assertion ids', () => {
      it('accepts an assertion id once per client until it expires', async () => {
        const exp = Date.now() + 60_000;
        expect(await store.recordAssertionJti('client-a', 'jti-1', exp)).toBe(true);
        expect(await store.recordAssertionJti('client-a', 'jti-1', exp)).toBe(false);
        expect(await store.recordAssertionJti('client-a', 'jti-1', exp + 60_000)).toBe(false);
        expect(await store.recordAssertionJti('client-b', 'jti-1', exp)).toBe(true);
        expect(await store.recordAssertionJti('client-a', 'jti-2', exp)).toBe(true);
      });

      it('accepts an id again once its earlier record has expired', async () => {
        const past = Date.now() - 1;
        expect(await store.recordAssertionJti('client-a', 'old', past)).toBe(true);
        expect(await store.recordAssertionJti('client-a', 'old', Date.now() + 60_000)).toBe(true);
        expect(await store.recordAssertionJti('client-a', 'old', Date.now() + 60_000)).toBe(false);
        await store.pruneRevocations(Date.now());
        expect(await store.recordAssertionJti('client-a', 'old', Date.now() + 60_000)).toBe(false);
      });

      it('lets exactly one of concurrent uses of an id win', async () => {
        const exp = Date.now() + 60_000;
        const results = await Promise.all(
          Array.from({ length: 12 }, () => store.recordAssertionJti('client-race', 'same-jti', exp)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('records are fresh copies', () => {
      it('does not let a caller change stored state by mutating what it passed or got', async () => {
        const rsInput = sampleResourceServer();
        const rs = await store.createResourceServer(rsInput);
        rsInput.scopes.push({ value: 'sneaky', description: '' });
        rs.scopes.push({ value: 'sneaky', description: '' });
        rs.routes?.push({ method: '*', path: '/*', scopes: [] });
        rs.name = 'changed';
        const rsAgain = await store.getResourceServer(rs.id);
        expect(rsAgain?.scopes.map((s) => s.value)).toEqual(['read:contacts', 'write:contacts']);
        expect(rsAgain?.routes).toHaveLength(1);
        expect(rsAgain?.name).not.toBe('changed');

        const client = await store.createClient(sampleClient());
        const read1 = await store.getClient(client.clientId);
        read1!.metadata.extra = 'x';
        read1!.secrets.pop();
        const read2 = await store.getClient(client.clientId);
        expect(read2?.metadata).toEqual({ team: 'billing' });
        expect(read2?.secrets).toHaveLength(1);
        expect(read2).not.toBe(read1);

        const grant = await store.createClientGrant(sampleClientGrant(client.clientId, rs.identifier));
        const found = await store.findClientGrant(client.clientId, rs.identifier);
        found!.scope.push('write:contacts');
        expect((await store.getClientGrant(grant.id))?.scope).toEqual(['read:contacts']);

        const key = await store.createSigningKey(sampleSigningKey());
        const keys = await store.listSigningKeys();
        keys[0]!.publicJwk.x = 'changed';
        expect((await store.getSigningKey(key.kid))?.publicJwk.x).toBe(key.publicJwk.x);
      });
    });
  });
}
