import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../../test/services/dynamodb-local.ts';
import { createDynamoDbStore } from './dynamodb-store.ts';
import { createStoreTable, StoreTableError } from './dynamodb-table.ts';
import { type Store, StoreConflictError } from './store.ts';
import {
  runStoreContract,
  sampleClient,
  sampleClientGrant,
  sampleResourceServer,
  sampleSigningKey,
} from './store-contract.ts';

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

let ddb: DynamoDbLocal;
let client: DynamoDBClient;
let tables = 0;

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  client = new DynamoDBClient({
    endpoint: ddb.endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
});
afterAll(async () => {
  client?.destroy();
  await ddb?.stop();
});

/** A new, empty store table; dropped by `dropTable`. */
async function newTable(): Promise<string> {
  tables += 1;
  const table = `gatehouse-${tables}`;
  await createStoreTable({ table, client });
  return table;
}
async function dropTable(table: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: table }));
}

runStoreContract('dynamodb', async () => {
  const table = await newTable();
  const store = createDynamoDbStore({ table, client });
  await store.migrate();
  return {
    store,
    async cleanup() {
      await store.close();
      await dropTable(table);
    },
  };
});

describe('DynamoDB store', () => {
  const opened: Store[] = [];
  const created: string[] = [];
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    for (const t of created.splice(0)) await dropTable(t);
  });
  async function openTable(): Promise<string> {
    const table = await newTable();
    created.push(table);
    return table;
  }
  function openStore(table: string): Store {
    const store = createDynamoDbStore({ table, client });
    opened.push(store);
    return store;
  }
  async function scan(table: string): Promise<Record<string, unknown>[]> {
    const doc = DynamoDBDocumentClient.from(client);
    const out = await doc.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
    return out.Items ?? [];
  }
  async function grantCounts(table: string): Promise<Record<string, unknown>> {
    const items = await scan(table);
    return Object.fromEntries(
      items.filter((i) => i.grantCount !== undefined).map((i) => [i.PK as string, i.grantCount]),
    );
  }

  /** The invariants the design promises: counts match grants, no grant without its client and API, pointers agree. */
  async function assertConsistent(table: string): Promise<void> {
    const items = await scan(table);
    const of = (type: string) => items.filter((i) => i.type === type);
    const grants = of('ClientGrant');
    for (const api of of('ResourceServer')) {
      expect(api.grantCount, `grant count of ${api.PK}`).toBe(
        grants.filter((g) => g.audience === api.identifier).length,
      );
    }
    for (const c of of('Client')) {
      expect(c.grantCount, `grant count of ${c.PK}`).toBe(
        grants.filter((g) => g.clientId === c.clientId).length,
      );
    }
    for (const g of grants) {
      expect(
        of('Client').some((c) => c.clientId === g.clientId),
        `client of grant ${g.id}`,
      ).toBe(true);
      expect(
        of('ResourceServer').some((r) => r.identifier === g.audience),
        `API of grant ${g.id}`,
      ).toBe(true);
    }
    expect(
      of('ClientGrantId')
        .map((p) => `${p.clientId} ${p.audience}`)
        .sort(),
    ).toEqual(grants.map((g) => `${g.clientId} ${g.audience}`).sort());
  }

  describe('table', () => {
    it('is created with its indexes and TTL, and a second creation finds and keeps it', async () => {
      tables += 1;
      const table = `init-${tables}`;
      expect(await createStoreTable({ table, client })).toBe('created');
      created.push(table);
      const store = openStore(table);
      const c = await store.createClient(sampleClient());
      expect(await createStoreTable({ table, client })).toBe('exists');
      expect(await store.getClient(c.clientId)).toEqual(c);
      const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(
        Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.Projection?.ProjectionType]).sort(),
      ).toEqual([
        ['GSI1', 'KEYS_ONLY'],
        ['GSI2', 'KEYS_ONLY'],
      ]);
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
      expect(ttl.TimeToLiveDescription).toMatchObject({
        AttributeName: 'expiresAt',
        TimeToLiveStatus: 'ENABLED',
      });
    });

    it('refuses to adopt a table of that name with another design', async () => {
      tables += 1;
      const table = `foreign-${tables}`;
      await client.send(
        new CreateTableCommand({
          TableName: table,
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      created.push(table);
      await expect(createStoreTable({ table, client })).rejects.toBeInstanceOf(StoreTableError);
      await expect(openStore(table).migrate()).rejects.toThrow(/not a gatehouse store table/);
    });

    it('says how to create the table when migrate() finds none', async () => {
      await expect(openStore('never-created').migrate()).rejects.toThrow(/gatehouse store init/);
    });
  });

  it('writes the items its documented design declares', async () => {
    const table = await openTable();
    const store = openStore(table);
    const rs = await store.createResourceServer(sampleResourceServer());
    const c = await store.createClient(sampleClient());
    const g = await store.createClientGrant(sampleClientGrant(c.clientId, rs.identifier));
    const k = await store.createSigningKey(
      sampleSigningKey({ alg: 'ES256', status: 'current', activatedAt: 1 }),
    );
    const keys = (await scan(table)).map((i) => [i.type, i.PK, i.SK, i.GSI1PK, i.GSI2PK]);
    expect(keys.sort()).toEqual(
      [
        ['ResourceServer', `API#${rs.identifier}`, 'API', 'API', undefined],
        ['ResourceServerId', `APIID#${rs.id}`, 'APIID', undefined, undefined],
        ['Client', `CLIENT#${c.clientId}`, 'CLIENT', 'CLIENT', undefined],
        ['ClientGrant', `CLIENT#${c.clientId}`, `GRANT#${rs.identifier}`, 'GRANT', `AUD#${rs.identifier}`],
        ['ClientGrantId', `GRANTID#${g.id}`, 'GRANTID', undefined, undefined],
        ['SigningKey', 'KEYS', `KEY#${k.kid}`, undefined, undefined],
        ['CurrentSigningKey', 'KEYS', 'CURRENT#ES256', undefined, undefined],
      ].sort(),
    );
  });

  it('keeps the grant counts of clients and APIs in step with their grants', async () => {
    const table = await openTable();
    const store = openStore(table);
    const a = await store.createResourceServer(sampleResourceServer());
    const b = await store.createResourceServer(sampleResourceServer());
    const c1 = await store.createClient(sampleClient());
    const c2 = await store.createClient(sampleClient());
    const g1 = await store.createClientGrant(sampleClientGrant(c1.clientId, a.identifier));
    await store.createClientGrant(sampleClientGrant(c1.clientId, b.identifier));
    await store.createClientGrant(sampleClientGrant(c2.clientId, a.identifier));
    await expect(
      store.createClientGrant(sampleClientGrant(c2.clientId, a.identifier)),
    ).rejects.toBeInstanceOf(StoreConflictError);
    expect(await grantCounts(table)).toEqual({
      [`API#${a.identifier}`]: 2,
      [`API#${b.identifier}`]: 1,
      [`CLIENT#${c1.clientId}`]: 2,
      [`CLIENT#${c2.clientId}`]: 1,
    });
    await store.deleteClientGrant(g1.id);
    await store.deleteClient(c2.clientId);
    expect(await grantCounts(table)).toEqual({
      [`API#${a.identifier}`]: 0,
      [`API#${b.identifier}`]: 1,
      [`CLIENT#${c1.clientId}`]: 1,
    });
    await store.deleteResourceServer(a.id);
  });

  it('deletes a client with more grants than one transaction holds, leaving no grant behind', async () => {
    const table = await openTable();
    const store = openStore(table);
    const c = await store.createClient(sampleClient());
    const apis = [];
    for (let i = 0; i < 40; i += 1) {
      const rs = await store.createResourceServer(sampleResourceServer());
      await store.createClientGrant(sampleClientGrant(c.clientId, rs.identifier));
      apis.push(rs);
    }
    await store.deleteClient(c.clientId);
    expect(await store.getClient(c.clientId)).toBeNull();
    expect((await store.listClientGrants({ page: 0, perPage: 100 })).total).toBe(0);
    expect((await scan(table)).filter((i) => i.type === 'ClientGrant' || i.type === 'ClientGrantId')).toEqual(
      [],
    );
    // Every API is free again: a delete without force succeeds.
    await assertConsistent(table);
    for (const rs of apis) await store.deleteResourceServer(rs.id);
  });

  it('force-deletes an API with more grants than one transaction holds, leaving its clients intact', async () => {
    const table = await openTable();
    const store = openStore(table);
    const rs = await store.createResourceServer(sampleResourceServer());
    const other = await store.createResourceServer(sampleResourceServer());
    const clients = [];
    for (let i = 0; i < 40; i += 1) {
      const c = await store.createClient(sampleClient());
      await store.createClientGrant(sampleClientGrant(c.clientId, rs.identifier));
      clients.push(c);
    }
    const kept = await store.createClientGrant(sampleClientGrant(clients[0]!.clientId, other.identifier));
    await store.deleteResourceServer(rs.id, { force: true });
    expect(await store.getResourceServer(rs.id)).toBeNull();
    expect((await store.listClientGrants({ page: 0, perPage: 100 })).items).toEqual([kept]);
    const counts = await grantCounts(table);
    expect(counts[`CLIENT#${clients[0]!.clientId}`]).toBe(1);
    expect(counts[`CLIENT#${clients[1]!.clientId}`]).toBe(0);
    await assertConsistent(table);
    for (const c of clients.slice(1)) await store.deleteClient(c.clientId);
  });

  it('grants one client several APIs at once from two instances', async () => {
    const table = await openTable();
    const [a, b] = [openStore(table), openStore(table)];
    const c = await a.createClient(sampleClient());
    const apis = await Promise.all(
      Array.from({ length: 8 }, () => a.createResourceServer(sampleResourceServer())),
    );
    const results = await Promise.allSettled(
      apis.map((rs, i) => (i % 2 ? a : b).createClientGrant(sampleClientGrant(c.clientId, rs.identifier))),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect((await a.listClientGrants({ page: 0, perPage: 20, clientId: c.clientId })).total).toBe(8);
    await assertConsistent(table);
  });

  it('never leaves a grant behind when a client is deleted while grants for it are being created', async () => {
    const table = await openTable();
    const [a, b] = [openStore(table), openStore(table)];
    const apis = await Promise.all(
      Array.from({ length: 6 }, () => a.createResourceServer(sampleResourceServer())),
    );
    for (let round = 0; round < 4; round += 1) {
      const c = await a.createClient(sampleClient());
      await a.createClientGrant(sampleClientGrant(c.clientId, apis[0]!.identifier));
      const creating = apis
        .slice(1)
        .map((rs) => b.createClientGrant(sampleClientGrant(c.clientId, rs.identifier)));
      const [deleted] = await Promise.allSettled([a.deleteClient(c.clientId), ...creating]);
      expect(deleted.status).toBe('fulfilled');
      expect(await a.getClient(c.clientId)).toBeNull();
      await assertConsistent(table);
    }
  });

  it('never leaves a grant behind when an API is force-deleted while grants for it are being created', async () => {
    const table = await openTable();
    const [a, b] = [openStore(table), openStore(table)];
    const clients = await Promise.all(Array.from({ length: 6 }, () => a.createClient(sampleClient())));
    for (let round = 0; round < 4; round += 1) {
      const rs = await a.createResourceServer(sampleResourceServer());
      await a.createClientGrant(sampleClientGrant(clients[0]!.clientId, rs.identifier));
      const creating = clients
        .slice(1)
        .map((c) => b.createClientGrant(sampleClientGrant(c.clientId, rs.identifier)));
      const [deleted] = await Promise.allSettled([
        a.deleteResourceServer(rs.id, { force: true }),
        ...creating,
      ]);
      expect(deleted.status).toBe('fulfilled');
      expect(await a.getResourceServer(rs.id)).toBeNull();
      await assertConsistent(table);
    }
  });

  describe("when a grant arrives between a delete's read and its write", () => {
    /**
     * A store whose client runs `before` once, just before the first TransactWriteItems that deletes
     * an item whose key starts with `prefix`: the race window, hit every time.
     */
    function storeWithRace(table: string, prefix: string, before: () => Promise<unknown>): Store {
      const raced = new DynamoDBClient({
        endpoint: ddb.endpoint,
        region: 'us-east-1',
        credentials: LOCAL_CREDENTIALS,
      });
      let fired = false;
      raced.middlewareStack.add(
        (next) => async (args) => {
          // Before marshalling (the DocumentClient's own middleware runs later), keys are plain strings.
          const items = (args.input as { TransactItems?: { Delete?: { Key?: { PK?: unknown } } }[] })
            .TransactItems;
          const deletes = items?.some((i) => String(i.Delete?.Key?.PK ?? '').startsWith(prefix));
          if (!fired && deletes) {
            fired = true;
            await before();
          }
          return next(args);
        },
        { step: 'initialize', priority: 'high' },
      );
      const store = createDynamoDbStore({ table, client: raced });
      opened.push({
        ...store,
        async close() {
          await store.close();
          raced.destroy();
        },
      });
      return store;
    }

    it('refuses to delete the API and keeps the grant', async () => {
      const table = await openTable();
      const other = openStore(table);
      const rs = await other.createResourceServer(sampleResourceServer());
      const c = await other.createClient(sampleClient());
      const late = sampleClientGrant(c.clientId, rs.identifier);
      const store = storeWithRace(table, 'API#', () => other.createClientGrant(late));
      await expect(store.deleteResourceServer(rs.id)).rejects.toBeInstanceOf(StoreConflictError);
      expect(await store.getResourceServer(rs.id)).toEqual(rs);
      expect(await store.getClientGrant(late.id)).toMatchObject({ clientId: c.clientId });
      await assertConsistent(table);
    });

    it('force-deletes the API together with the late grant', async () => {
      const table = await openTable();
      const other = openStore(table);
      const rs = await other.createResourceServer(sampleResourceServer());
      const c = await other.createClient(sampleClient());
      const late = sampleClientGrant(c.clientId, rs.identifier);
      const store = storeWithRace(table, 'API#', () => other.createClientGrant(late));
      await store.deleteResourceServer(rs.id, { force: true });
      expect(await store.getResourceServer(rs.id)).toBeNull();
      expect(await store.getClientGrant(late.id)).toBeNull();
      await assertConsistent(table);
    });

    it('deletes the client together with the late grant', async () => {
      const table = await openTable();
      const other = openStore(table);
      const rs = await other.createResourceServer(sampleResourceServer());
      const c = await other.createClient(sampleClient());
      const late = sampleClientGrant(c.clientId, rs.identifier);
      const store = storeWithRace(table, 'CLIENT#', () => other.createClientGrant(late));
      await store.deleteClient(c.clientId);
      expect(await store.getClient(c.clientId)).toBeNull();
      expect(await store.getClientGrant(late.id)).toBeNull();
      await assertConsistent(table);
      await store.deleteResourceServer(rs.id);
    });
  });

  it('activates two keys of one alg from two instances at once and ends with exactly one current', async () => {
    const table = await openTable();
    const [a, b] = [openStore(table), openStore(table)];
    const old = await a.createSigningKey(
      sampleSigningKey({ alg: 'RS256', status: 'current', activatedAt: 1 }),
    );
    const k1 = await a.createSigningKey(sampleSigningKey({ alg: 'RS256' }));
    const k2 = await a.createSigningKey(sampleSigningKey({ alg: 'RS256' }));
    for (let round = 0; round < 3; round += 1) {
      const results = await Promise.allSettled([
        a.activateSigningKey(k1.kid, 100),
        b.activateSigningKey(k2.kid, 100),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      const current = (await a.listSigningKeys()).filter((k) => k.status === 'current');
      expect(current).toHaveLength(1);
      const marker = (await scan(table)).find((i) => i.SK === 'CURRENT#RS256');
      expect(marker?.kid).toBe(current[0]!.kid);
      await a.updateSigningKey(current[0]!.kid, { status: 'next' });
      expect((await scan(table)).find((i) => i.SK === 'CURRENT#RS256')).toBeUndefined();
    }
    expect((await a.getSigningKey(old.kid))?.status).toBe('previous');
  });

  it('lets exactly one of two instances create the first current key of an alg', async () => {
    const table = await openTable();
    const [a, b] = [openStore(table), openStore(table)];
    const results = await Promise.allSettled([
      a.createSigningKey(sampleSigningKey({ alg: 'ES256', status: 'current', activatedAt: 1 })),
      b.createSigningKey(sampleSigningKey({ alg: 'ES256', status: 'current', activatedAt: 1 })),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(lost?.reason).toBeInstanceOf(StoreConflictError);
  });

  it('reaches DynamoDB through an endpoint and credentials of its own', async () => {
    const table = await openTable();
    const store = createDynamoDbStore({
      table,
      endpoint: ddb.endpoint,
      region: 'eu-west-1',
      credentials: LOCAL_CREDENTIALS,
    });
    try {
      await store.migrate();
      await store.ping();
      const c = await store.createClient(sampleClient());
      expect(await openStore(table).getClient(c.clientId)).toEqual(c);
    } finally {
      await store.close();
      await store.close();
    }
  });

  it('refuses a negative page or an empty page size', async () => {
    const store = openStore(await openTable());
    await expect(store.listClients({ page: -1, perPage: 10 })).rejects.toBeInstanceOf(RangeError);
    await expect(store.listClientGrants({ page: 0, perPage: 0, clientId: 'x' })).rejects.toBeInstanceOf(
      RangeError,
    );
    await expect(store.listResourceServers({ page: 0.5, perPage: 10 })).rejects.toBeInstanceOf(RangeError);
  });
});
