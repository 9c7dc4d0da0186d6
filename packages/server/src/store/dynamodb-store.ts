/**
 * The DynamoDB back-end of the `Store` port (AWS SDK v3, DocumentClient), for several
 * authorization-server instances sharing one state on a managed, serverless database. The table
 * design (keys, GSIs, TTL, limits, costs) is documented in `dynamodb-table.ts`.
 *
 * - Writes that change several items are TransactWriteItems with conditions; a transaction that
 *   DynamoDB cancels for a concurrent one (`TransactionConflict`), and a read-then-write whose
 *   condition shows the state moved meanwhile, are retried from the read, a few times with
 *   jittered backoff, then answered with StoreConflictError.
 * - Condition failures map to the port's errors by the position of the failed item.
 * - Reads by key are strongly consistent; lists go through KEYS_ONLY GSIs (eventually consistent)
 *   and fetch the page with a strongly consistent BatchGetItem, so a page never shows stale
 *   records, only (briefly) miss a new one. Total and page are two requests, not one snapshot.
 *
 * Hot-path reads, measured roughly on the 2-core dev machine under other load against DynamoDB
 * Local (Java, in memory, loopback; 2,000 sequential awaits each, SDK marshalling and request
 * signing included): getClient, findClientGrant and getResourceServerByIdentifier ≈ 3-3.5 ms each,
 * one strongly consistent GetItem apiece. That is DynamoDB Local's own speed (it runs on SQLite
 * behind an HTTP server); DynamoDB answers a GetItem in single-digit milliseconds in-region.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html
 */
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  type DynamoDBClientConfig,
  TransactionCanceledException,
  TransactionInProgressException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { createDynamoDbAuditLog } from './dynamodb-audit-log.ts';
import { backoff, Contention, retrying } from './dynamodb-retry.ts';
import { createDynamoDbRevocations, ITEMS_PER_CUTOFF } from './dynamodb-revocations.ts';
import {
  assertStoreTable,
  audiencePartition,
  BY_AUDIENCE_INDEX,
  BY_TYPE_INDEX,
  creationSortKey,
  type ItemKey,
  itemKeys,
  LISTING,
  SK_PREFIX,
} from './dynamodb-table.ts';
import { createDynamoDbTransfer } from './dynamodb-transfer.ts';
import {
  CLIENT_PATCH_FIELDS,
  type ClientGrantRecord,
  type ClientRecord,
  nextUpdatedAt,
  type Page,
  type PageQuery,
  type ResourceServerRecord,
  type SigningKeyRecord,
  type Store,
  StoreConflictError,
  StoreNotFoundError,
  StoreStaleError,
} from './store.ts';

/** Options of `createDynamoDbStore`. */
export interface DynamoDbStoreOptions {
  /** Table name (GATEHOUSE_DYNAMODB_TABLE, default `gatehouse`). */
  table: string;
  /** DynamoDB Local or another endpoint (GATEHOUSE_DYNAMODB_ENDPOINT); the AWS default otherwise. */
  endpoint?: string;
  /** AWS region; the SDK's default chain (AWS_REGION, profile) otherwise. */
  region?: string;
  /** Static credentials (DynamoDB Local accepts any); the SDK's default chain otherwise. */
  credentials?: DynamoDBClientConfig['credentials'];
  /** A client to use instead of creating one; the store does not destroy it on close. */
  client?: DynamoDBClient;
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type Item = Record<string, unknown>;

/** Most items one TransactWriteItems may hold. */
const MAX_TRANSACT_ITEMS = 100;
/** Items a grant deletion takes: the grant, its id pointer, its API's count (the client's count is once per transaction). */
const ITEMS_PER_GRANT_DELETE = 3;
/** Grants deleted per transaction next to one other item (the client) and the client's cut-off with its counter. */
const GRANTS_PER_TRANSACTION = Math.floor(
  (MAX_TRANSACT_ITEMS - 1 - 1 - ITEMS_PER_CUTOFF) / ITEMS_PER_GRANT_DELETE,
);
/** Grants an API's forced deletion removes per transaction: each with its client's count and cut-off, plus the API's count and the counter. */
const GRANTS_PER_FORCED_BATCH = Math.floor(
  (MAX_TRANSACT_ITEMS - 2) / (ITEMS_PER_GRANT_DELETE + 1 + ITEMS_PER_CUTOFF),
);

/**
 * Creates the DynamoDB store over an existing table (see `createStoreTable`); `migrate()` checks the
 * table's design. Connections open lazily.
 */
export function createDynamoDbStore(options: DynamoDbStoreOptions): Store {
  const { table } = options;
  const owned = options.client === undefined;
  const raw =
    options.client ??
    new DynamoDBClient({
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(options.region === undefined ? {} : { region: options.region }),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    });
  const doc = DynamoDBDocumentClient.from(raw, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  let closed = false;

  async function get(key: ItemKey): Promise<Item | undefined> {
    const { Item } = await doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
    return Item;
  }

  /** Every item of a Query, across 1 MB pages. */
  async function queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await doc.send(new QueryCommand({ ...input, TableName: table, ExclusiveStartKey: start }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /**
   * Runs a transaction. Answers null when it committed, or the cancellation code of each item
   * (`ConditionalCheckFailed`, `None`, ...); a cancellation caused by a concurrent transaction
   * throws Contention.
   */
  async function transact(items: TransactItem[]): Promise<(string | undefined)[] | null> {
    try {
      await doc.send(new TransactWriteCommand({ TransactItems: items }));
      return null;
    } catch (err) {
      if (err instanceof TransactionInProgressException) throw new Contention();
      if (!(err instanceof TransactionCanceledException)) throw err;
      const codes = (err.CancellationReasons ?? []).map((r) => r.Code);
      if (codes.some((c) => c === 'TransactionConflict')) throw new Contention();
      if (!codes.includes('ConditionalCheckFailed')) throw err;
      return codes;
    }
  }

  /** Runs a conditional single-item write; false when its condition failed. */
  async function conditional(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /** Fetches items by key (strongly consistent) in the order of `keys`, skipping any since deleted. */
  async function batchGet(keys: ItemKey[]): Promise<Item[]> {
    const found = new Map<string, Item>();
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Item[] | undefined = keys.slice(i, i + 100).map((k) => ({ PK: k.PK, SK: k.SK }));
      for (let round = 0; pending && pending.length > 0; round += 1) {
        if (round > 0) await backoff(round);
        const out: BatchGetCommandOutput = await doc.send(
          new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }),
        );
        for (const item of out.Responses?.[table] ?? []) found.set(keyString(item), item);
        pending = out.UnprocessedKeys?.[table]?.Keys;
      }
    }
    const items: Item[] = [];
    for (const k of keys) {
      const item = found.get(keyString(k));
      if (item) items.push(item);
    }
    return items;
  }

  /** One page of a GSI partition in index order, with the partition's total. */
  async function pageOfIndex<T>(
    index: string,
    partition: { name: string; value: string },
    q: PageQuery,
    map: (item: Item) => T,
  ): Promise<Page<T>> {
    const { limit, offset } = toPaging(q);
    const condition = {
      IndexName: index,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': partition.name },
      ExpressionAttributeValues: { ':pk': partition.value },
    };
    const countTotal = async () => {
      let total = 0;
      let start: Item | undefined;
      do {
        const out = await doc.send(
          new QueryCommand({ ...condition, TableName: table, Select: 'COUNT', ExclusiveStartKey: start }),
        );
        total += out.Count ?? 0;
        start = out.LastEvaluatedKey;
      } while (start);
      return total;
    };
    const pageKeys = async () => {
      const keys: ItemKey[] = [];
      let start: Item | undefined;
      do {
        const out = await doc.send(
          new QueryCommand({
            ...condition,
            TableName: table,
            Limit: offset + limit - keys.length,
            ExclusiveStartKey: start,
          }),
        );
        for (const k of out.Items ?? []) keys.push({ PK: String(k.PK), SK: String(k.SK) });
        start = out.LastEvaluatedKey;
      } while (start && keys.length < offset + limit);
      return batchGet(keys.slice(offset, offset + limit));
    };
    // Counting reads every key of the partition: skipped when the caller does not want the total.
    const [counted, items] = await Promise.all([
      q.includeTotals === false ? undefined : countTotal(),
      pageKeys(),
    ]);
    return { items: items.map(map), total: counted ?? offset + items.length };
  }

  async function getRsById(id: string): Promise<Item | undefined> {
    const pointer = await get(itemKeys.resourceServerId(id));
    if (!pointer) return undefined;
    const item = await get(itemKeys.resourceServer(String(pointer.identifier)));
    return item?.id === id ? item : undefined;
  }

  async function getGrantById(id: string): Promise<Item | undefined> {
    const pointer = await get(itemKeys.clientGrantId(id));
    if (!pointer) return undefined;
    const item = await get(itemKeys.clientGrant(String(pointer.clientId), String(pointer.audience)));
    return item?.id === id ? item : undefined;
  }

  /** The items that delete grants (and move their APIs' counts); the caller adds one item for the rest. */
  function grantDeletions(grants: Item[], opts: { apiCounts: boolean }): TransactItem[] {
    return grants.flatMap((g): TransactItem[] => [
      {
        Delete: {
          TableName: table,
          Key: itemKeys.clientGrant(String(g.clientId), String(g.audience)),
          ConditionExpression: 'id = :id',
          ExpressionAttributeValues: { ':id': g.id },
        },
      },
      { Delete: { TableName: table, Key: itemKeys.clientGrantId(String(g.id)) } },
      ...(opts.apiCounts ? [countMove(itemKeys.resourceServer(String(g.audience)), -1)] : []),
    ]);
  }

  function countMove(key: ItemKey, by: number): TransactItem {
    return {
      Update: {
        TableName: table,
        Key: key,
        UpdateExpression: 'ADD grantCount :by',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':by': by },
      },
    };
  }

  async function updateItem(
    key: ItemKey,
    fields: Record<string, unknown>,
    condition: { expression: string; values?: Item },
  ): Promise<Item | undefined> {
    try {
      const out = await doc.send(
        new UpdateCommand({
          TableName: table,
          Key: key,
          ...setFields(fields, condition.values),
          ConditionExpression: condition.expression,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
  }

  const revocations = createDynamoDbRevocations({ doc, table, get, queryAll, transact });

  return {
    ...createDynamoDbAuditLog({ doc, table }),
    ...createDynamoDbTransfer({
      doc,
      table,
      decode: {
        resourceServer: toResourceServer,
        client: toClient,
        clientGrant: toClientGrant,
        signingKey: toSigningKey,
      },
    }),
    async migrate() {
      await assertStoreTable({ table, client: raw });
    },
    async ping() {
      await doc.send(new GetCommand({ TableName: table, Key: { PK: 'PING', SK: 'PING' } }));
    },
    async close() {
      if (closed) return;
      closed = true;
      // A client passed in belongs to the caller (it may serve other stores).
      if (owned) raw.destroy();
    },

    async createResourceServer(rs) {
      const now = Date.now();
      const record: ResourceServerRecord = { ...rs, createdAt: now, updatedAt: now };
      const codes = await retrying(`creating resource server ${rs.id}`, () =>
        transact([
          {
            Put: {
              TableName: table,
              Item: {
                ...itemKeys.resourceServer(rs.identifier),
                type: 'ResourceServer',
                GSI1PK: LISTING.resourceServer,
                GSI1SK: creationSortKey(now, rs.id),
                ...record,
                grantCount: 0,
              },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          {
            Put: {
              TableName: table,
              Item: {
                ...itemKeys.resourceServerId(rs.id),
                type: 'ResourceServerId',
                identifier: rs.identifier,
              },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
        ]),
      );
      if (codes?.[0] === 'ConditionalCheckFailed')
        throw new StoreConflictError(`a resource server with identifier ${rs.identifier} already exists`);
      if (codes) throw new StoreConflictError(`a resource server with id ${rs.id} already exists`);
      return structuredClone(record);
    },
    async getResourceServer(id) {
      return mapOrNull(await getRsById(id), toResourceServer);
    },
    async getResourceServerByIdentifier(identifier) {
      return mapOrNull(await get(itemKeys.resourceServer(identifier)), toResourceServer);
    },
    async listResourceServers(q) {
      return pageOfIndex(
        BY_TYPE_INDEX,
        { name: 'GSI1PK', value: LISTING.resourceServer },
        q,
        toResourceServer,
      );
    },
    async updateResourceServer(id, patch) {
      const pointer = await get(itemKeys.resourceServerId(id));
      const fields = pick(patch, ['name', 'scopes', 'signingAlg', 'tokenLifetime', 'routes']);
      const item = pointer
        ? await updateItem(
            itemKeys.resourceServer(String(pointer.identifier)),
            { ...fields, updatedAt: Date.now() },
            { expression: 'attribute_exists(PK) AND id = :id', values: { ':id': id } },
          )
        : undefined;
      if (!item) throw new StoreNotFoundError(`resource server ${id} not found`);
      return toResourceServer(item);
    },
    async deleteResourceServer(id, opts) {
      const force = opts?.force === true;
      await retrying(`deleting resource server ${id}`, async () => {
        for (;;) {
          const item = await getRsById(id);
          if (!item) throw new StoreNotFoundError(`resource server ${id} not found`);
          if (item.isSystem === true)
            throw new StoreConflictError(`resource server ${id} is the Management API and cannot be deleted`);
          const identifier = String(item.identifier);
          const count = Number(item.grantCount ?? 0);
          if (count === 0) break;
          if (!force) {
            throw new StoreConflictError(
              `resource server ${id} still has ${count} client grant(s); delete them first or delete with force`,
            );
          }
          // GSI2 may lag behind the count: delete what it shows, then read the count again.
          const grants = await audienceGrants(identifier);
          if (grants.length === 0) throw new Contention();
          for (let i = 0; i < grants.length; i += GRANTS_PER_FORCED_BATCH) {
            const batch = grants.slice(i, i + GRANTS_PER_FORCED_BATCH);
            const cutoffs = await revocations.prepareCutoffs(
              batch.map((g) => ({ clientId: String(g.clientId), audience: identifier })),
            );
            const codes = await transact([
              ...batch.flatMap((g) => [
                ...grantDeletions([g], { apiCounts: false }),
                countMove(itemKeys.client(String(g.clientId)), -1),
              ]),
              countMove(itemKeys.resourceServer(identifier), -batch.length),
              ...cutoffs,
            ]);
            if (codes) throw new Contention();
          }
        }
        const item = await getRsById(id);
        if (!item) throw new StoreNotFoundError(`resource server ${id} not found`);
        const codes = await transact([
          {
            Delete: {
              TableName: table,
              Key: itemKeys.resourceServer(String(item.identifier)),
              ConditionExpression: 'id = :id AND (attribute_not_exists(grantCount) OR grantCount = :zero)',
              ExpressionAttributeValues: { ':id': id, ':zero': 0 },
            },
          },
          { Delete: { TableName: table, Key: itemKeys.resourceServerId(id) } },
        ]);
        // A grant arrived meanwhile: read again (and refuse, unless forced).
        if (codes) throw new Contention();
      });
    },

    async createClient(c) {
      const now = Date.now();
      const record: ClientRecord = { ...c, createdAt: now, updatedAt: now };
      const written = await conditional(() =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...itemKeys.client(c.clientId),
              type: 'Client',
              GSI1PK: LISTING.client,
              GSI1SK: creationSortKey(now, c.clientId),
              ...record,
              grantCount: 0,
            },
            ConditionExpression: 'attribute_not_exists(PK)',
          }),
        ),
      );
      if (!written) throw new StoreConflictError(`a client with id ${c.clientId} already exists`);
      return structuredClone(record);
    },
    async getClient(clientId) {
      return mapOrNull(await get(itemKeys.client(clientId)), toClient);
    },
    async listClients(q) {
      return pageOfIndex(BY_TYPE_INDEX, { name: 'GSI1PK', value: LISTING.client }, q, toClient);
    },
    async updateClient(clientId, patch, condition) {
      const ifUpdatedAt = condition?.ifUpdatedAt;
      const fields = pick(patch, CLIENT_PATCH_FIELDS);
      if (fields.disabled === true) {
        // Disabling: the cut-off commits with the change, decided on the state the condition pins.
        const disabling = await retrying(`disabling client ${clientId}`, async () => {
          const item = await get(itemKeys.client(clientId));
          if (!item) throw new StoreNotFoundError(`client ${clientId} not found`);
          if (ifUpdatedAt !== undefined && item.updatedAt !== ifUpdatedAt)
            throw new StoreStaleError(`client ${clientId} changed since it was read`);
          if (item.disabled === true) return undefined;
          const updatedAt = nextUpdatedAt(Number(item.updatedAt));
          const codes = await transact([
            {
              Update: {
                TableName: table,
                Key: itemKeys.client(clientId),
                ...setFields({ ...fields, updatedAt }, { ':false': false, ':read': item.updatedAt }),
                // pinned to the state read: a change meanwhile fails it, and the retry reads again
                ConditionExpression: 'attribute_exists(PK) AND disabled = :false AND updatedAt = :read',
              },
            },
            ...(await revocations.prepareCutoffs([{ clientId, audience: null }])),
          ]);
          if (codes) throw new Contention();
          return { ...toClient(item), ...structuredClone(fields), updatedAt };
        });
        if (disabling !== undefined) return disabling;
      }
      const item = await updateItem(
        itemKeys.client(clientId),
        { ...fields, updatedAt: ifUpdatedAt === undefined ? Date.now() : nextUpdatedAt(ifUpdatedAt) },
        ifUpdatedAt === undefined
          ? { expression: 'attribute_exists(PK)' }
          : { expression: 'attribute_exists(PK) AND updatedAt = :read', values: { ':read': ifUpdatedAt } },
      );
      if (item) return toClient(item);
      if (ifUpdatedAt !== undefined && (await get(itemKeys.client(clientId))))
        throw new StoreStaleError(`client ${clientId} changed since it was read`);
      throw new StoreNotFoundError(`client ${clientId} not found`);
    },
    async deleteClient(clientId) {
      await retrying(`deleting client ${clientId}`, async () => {
        for (;;) {
          const items = await queryAll({
            KeyConditionExpression: 'PK = :pk',
            ExpressionAttributeValues: { ':pk': itemKeys.client(clientId).PK },
            ConsistentRead: true,
          });
          if (!items.some((i) => i.SK === 'CLIENT'))
            throw new StoreNotFoundError(`client ${clientId} not found`);
          const grants = items.filter((i) => String(i.SK).startsWith(SK_PREFIX.grant));
          if (grants.length > GRANTS_PER_TRANSACTION) {
            // Too many for one transaction: delete a batch (atomic, counts exact), then read again.
            const batch = grants.slice(0, GRANTS_PER_TRANSACTION);
            const codes = await transact([
              ...grantDeletions(batch, { apiCounts: true }),
              countMove(itemKeys.client(clientId), -batch.length),
            ]);
            if (codes) throw new Contention();
            continue;
          }
          const codes = await transact([
            {
              Delete: {
                TableName: table,
                Key: itemKeys.client(clientId),
                // The grants deleted here are all it has: none was added since the Query.
                ConditionExpression: 'attribute_not_exists(grantCount) OR grantCount = :n',
                ExpressionAttributeValues: { ':n': grants.length },
              },
            },
            ...grantDeletions(grants, { apiCounts: true }),
            ...(await revocations.prepareCutoffs([{ clientId, audience: null }])),
          ]);
          if (codes) throw new Contention();
          return;
        }
      });
    },

    async createClientGrant(g) {
      const now = Date.now();
      const record: ClientGrantRecord = {
        ...g,
        tokenLifetime: g.tokenLifetime ?? null,
        createdAt: now,
        updatedAt: now,
      };
      const sortKey = creationSortKey(now, g.id);
      const codes = await retrying(`creating client grant ${g.id}`, () =>
        transact([
          {
            Put: {
              TableName: table,
              Item: {
                ...itemKeys.clientGrant(g.clientId, g.audience),
                type: 'ClientGrant',
                GSI1PK: LISTING.clientGrant,
                GSI1SK: sortKey,
                GSI2PK: audiencePartition(g.audience),
                GSI2SK: sortKey,
                ...record,
              },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          {
            Put: {
              TableName: table,
              Item: {
                ...itemKeys.clientGrantId(g.id),
                type: 'ClientGrantId',
                clientId: g.clientId,
                audience: g.audience,
              },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          countMove(itemKeys.client(g.clientId), 1),
          countMove(itemKeys.resourceServer(g.audience), 1),
        ]),
      );
      if (codes?.[2] === 'ConditionalCheckFailed')
        throw new StoreNotFoundError(`client ${g.clientId} not found`);
      if (codes?.[3] === 'ConditionalCheckFailed')
        throw new StoreNotFoundError(`resource server ${g.audience} not found`);
      if (codes?.[0] === 'ConditionalCheckFailed')
        throw new StoreConflictError(`client ${g.clientId} already has a grant for ${g.audience}`);
      if (codes) throw new StoreConflictError(`a client grant with id ${g.id} already exists`);
      return structuredClone(record);
    },
    async getClientGrant(id) {
      return mapOrNull(await getGrantById(id), toClientGrant);
    },
    async findClientGrant(clientId, audience) {
      return mapOrNull(await get(itemKeys.clientGrant(clientId, audience)), toClientGrant);
    },
    async listClientGrants(q) {
      const { limit, offset } = toPaging(q);
      if (q.clientId !== undefined) {
        // A client's grants: its own partition (one per API it may call), read whole and paged here.
        const all =
          q.audience !== undefined
            ? [await get(itemKeys.clientGrant(q.clientId, q.audience))].filter((i) => i !== undefined)
            : await queryAll({
                KeyConditionExpression: 'PK = :pk AND begins_with(SK, :grant)',
                ExpressionAttributeValues: {
                  ':pk': itemKeys.client(q.clientId).PK,
                  ':grant': SK_PREFIX.grant,
                },
                ConsistentRead: true,
              });
        const records = all.map(toClientGrant).sort(byCreation((r) => r.id));
        return { items: records.slice(offset, offset + limit), total: records.length };
      }
      if (q.audience !== undefined) {
        return pageOfIndex(
          BY_AUDIENCE_INDEX,
          { name: 'GSI2PK', value: audiencePartition(q.audience) },
          q,
          toClientGrant,
        );
      }
      return pageOfIndex(BY_TYPE_INDEX, { name: 'GSI1PK', value: LISTING.clientGrant }, q, toClientGrant);
    },
    async updateClientGrant(id, patch) {
      const fields = pick(patch, ['scope', 'tokenLifetime']);
      if (fields.scope !== undefined) {
        const newScope = fields.scope;
        // A scope removed: the grant's update and its cut-off commit together, on the state the condition pins.
        const reduced = await retrying(`updating client grant ${id}`, async () => {
          const grant = await getGrantById(id);
          if (!grant) throw new StoreNotFoundError(`client grant ${id} not found`);
          const existing = toClientGrant(grant);
          if (existing.scope.every((scope) => newScope.includes(scope))) return undefined;
          const updatedAt = Date.now();
          const codes = await transact([
            {
              Update: {
                TableName: table,
                Key: itemKeys.clientGrant(existing.clientId, existing.audience),
                ...setFields({ ...fields, updatedAt }, { ':id': id, ':seen': existing.updatedAt }),
                ConditionExpression: 'id = :id AND updatedAt = :seen',
              },
            },
            ...(await revocations.prepareCutoffs([
              { clientId: existing.clientId, audience: existing.audience },
            ])),
          ]);
          if (codes) throw new Contention();
          return { ...existing, ...structuredClone(fields), updatedAt };
        });
        if (reduced !== undefined) return reduced;
      }
      const pointer = await get(itemKeys.clientGrantId(id));
      const item = pointer
        ? await updateItem(
            itemKeys.clientGrant(String(pointer.clientId), String(pointer.audience)),
            { ...fields, updatedAt: Date.now() },
            { expression: 'attribute_exists(PK) AND id = :id', values: { ':id': id } },
          )
        : undefined;
      if (!item) throw new StoreNotFoundError(`client grant ${id} not found`);
      return toClientGrant(item);
    },
    async deleteClientGrant(id) {
      await retrying(`deleting client grant ${id}`, async () => {
        const grant = await getGrantById(id);
        if (!grant) throw new StoreNotFoundError(`client grant ${id} not found`);
        const codes = await transact([
          ...grantDeletions([grant], { apiCounts: true }),
          countMove(itemKeys.client(String(grant.clientId)), -1),
          ...(await revocations.prepareCutoffs([
            { clientId: String(grant.clientId), audience: String(grant.audience) },
          ])),
        ]);
        if (codes) throw new Contention();
      });
    },

    async createSigningKey(k) {
      const item = { ...itemKeys.signingKey(k.kid), type: 'SigningKey', ...k };
      const putKey = { TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(PK)' };
      if (k.status === 'current') {
        const codes = await retrying(`creating signing key ${k.kid}`, () =>
          transact([
            { Put: putKey },
            {
              Put: {
                TableName: table,
                Item: { ...itemKeys.currentKey(k.alg), type: 'CurrentSigningKey', kid: k.kid },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
          ]),
        );
        if (codes?.[0] === 'ConditionalCheckFailed')
          throw new StoreConflictError(`a signing key with kid ${k.kid} already exists`);
        if (codes) throw new StoreConflictError(`a current ${k.alg} signing key already exists`);
      } else if (k.status === 'revoked') {
        const codes = await retrying(`creating signing key ${k.kid}`, async () => {
          const listing = await revocations.prepareRevokedKey(k.kid, k.revokedAt ?? Date.now());
          const codes = await transact([{ Put: putKey }, ...listing]);
          if (codes !== null && codes[0] !== 'ConditionalCheckFailed') throw new Contention();
          return codes;
        });
        if (codes) throw new StoreConflictError(`a signing key with kid ${k.kid} already exists`);
      } else if (!(await conditional(() => doc.send(new PutCommand(putKey))))) {
        throw new StoreConflictError(`a signing key with kid ${k.kid} already exists`);
      }
      return structuredClone(k);
    },
    async getSigningKey(kid) {
      return mapOrNull(await get(itemKeys.signingKey(kid)), toSigningKey);
    },
    async listSigningKeys() {
      const items = await queryAll({
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :key)',
        ExpressionAttributeValues: { ':pk': itemKeys.signingKey('').PK, ':key': SK_PREFIX.signingKey },
        ConsistentRead: true,
      });
      return items
        .map(toSigningKey)
        .sort(byCreation((k) => k.kid))
        .reverse();
    },
    async updateSigningKey(kid, patch) {
      return retrying(`updating signing key ${kid}`, async () => {
        const item = await get(itemKeys.signingKey(kid));
        if (!item) throw new StoreNotFoundError(`signing key ${kid} not found`);
        const existing = toSigningKey(item);
        const fields = pick(patch, ['status', 'createdAt', 'activatedAt', 'retiredAt', 'revokedAt']);
        const next: SigningKeyRecord = { ...existing, ...fields };
        const becomesCurrent = existing.status !== 'current' && next.status === 'current';
        const stopsBeingCurrent = existing.status === 'current' && next.status !== 'current';
        const names: Record<string, string> = { '#status': 'status' };
        const values: Item = { ':seen': existing.status };
        const sets = Object.entries(fields).map(([field, value], i) => {
          names[`#f${i}`] = field;
          values[`:f${i}`] = value;
          return `#f${i} = :f${i}`;
        });
        if (sets.length === 0) return existing;
        const updateKey: TransactItem = {
          Update: {
            TableName: table,
            Key: itemKeys.signingKey(kid),
            UpdateExpression: `SET ${sets.join(', ')}`,
            // Optimistic: the status this decision was based on is still the stored one.
            ConditionExpression: '#status = :seen',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          },
        };
        const marker = itemKeys.currentKey(existing.alg);
        const markerItem: TransactItem | undefined = becomesCurrent
          ? {
              Put: {
                TableName: table,
                Item: { ...marker, type: 'CurrentSigningKey', kid },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            }
          : stopsBeingCurrent
            ? {
                Delete: {
                  TableName: table,
                  Key: marker,
                  ConditionExpression: 'attribute_not_exists(PK) OR kid = :kid',
                  ExpressionAttributeValues: { ':kid': kid },
                },
              }
            : undefined;
        const listing =
          next.status === 'revoked' && existing.status !== 'revoked'
            ? await revocations.prepareRevokedKey(kid, next.revokedAt ?? Date.now())
            : [];
        const codes = await transact([updateKey, ...(markerItem ? [markerItem] : []), ...listing]);
        if (codes?.[1] === 'ConditionalCheckFailed' && becomesCurrent)
          throw new StoreConflictError(`another signing key with the alg of ${kid} is already current`);
        if (codes) throw new Contention();
        return structuredClone(next);
      });
    },
    async activateSigningKey(kid, now) {
      return retrying(`activating signing key ${kid}`, async () => {
        const item = await get(itemKeys.signingKey(kid));
        if (!item) throw new StoreNotFoundError(`signing key ${kid} not found`);
        const key = toSigningKey(item);
        if (key.status === 'revoked')
          throw new StoreConflictError(`signing key ${kid} is revoked and cannot be activated`);
        if (key.status === 'current') return key;
        const marker = itemKeys.currentKey(key.alg);
        const previousKid = (await get(marker))?.kid as string | undefined;
        const items: TransactItem[] = [
          {
            Update: {
              TableName: table,
              Key: itemKeys.signingKey(kid),
              UpdateExpression: 'SET #status = :current, activatedAt = :now, retiredAt = :null',
              ConditionExpression: '#status = :seen',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':current': 'current',
                ':now': now,
                ':null': null,
                ':seen': key.status,
              },
            },
          },
          previousKid === undefined
            ? {
                Put: {
                  TableName: table,
                  Item: { ...marker, type: 'CurrentSigningKey', kid },
                  ConditionExpression: 'attribute_not_exists(PK)',
                },
              }
            : {
                Put: {
                  TableName: table,
                  Item: { ...marker, type: 'CurrentSigningKey', kid },
                  ConditionExpression: 'kid = :previous',
                  ExpressionAttributeValues: { ':previous': previousKid },
                },
              },
        ];
        if (previousKid !== undefined && previousKid !== kid) {
          items.push({
            Update: {
              TableName: table,
              Key: itemKeys.signingKey(previousKid),
              UpdateExpression: 'SET #status = :previous, retiredAt = :now',
              ConditionExpression: '#status = :current',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':previous': 'previous', ':current': 'current', ':now': now },
            },
          });
        }
        // Another instance moved the marker or the key meanwhile: read again.
        if (await transact(items)) throw new Contention();
        return { ...key, status: 'current', activatedAt: now, retiredAt: null };
      });
    },

    revokeToken: (t) => revocations.revokeToken(t),
    getRevokedToken: (audience, jti) => revocations.getRevokedToken(audience, jti),
    listRevokedTokens: (q) => revocations.listRevokedTokens(q),
    createCutoff: (clientId, audience) => revocations.createCutoff(clientId, audience),
    findCutoffs: (clientId, audience) => revocations.findCutoffs(clientId, audience),
    listRevocationChanges: (q) => revocations.listRevocationChanges(q),
    pruneRevocations: (now) => revocations.pruneRevocations(now),
    recordAssertionJti: (clientId, jti, expiresAt) =>
      revocations.recordAssertionJti(clientId, jti, expiresAt),
  };

  /** The grants of an audience, found through GSI2 and read back strongly consistent. */
  async function audienceGrants(audience: string): Promise<Item[]> {
    const keys = await queryAll({
      IndexName: BY_AUDIENCE_INDEX,
      KeyConditionExpression: 'GSI2PK = :pk',
      ExpressionAttributeValues: { ':pk': audiencePartition(audience) },
    });
    return batchGet(keys.map((k) => ({ PK: String(k.PK), SK: String(k.SK) })));
  }
}

function keyString(k: { PK?: unknown; SK?: unknown }): string {
  return `${String(k.PK)}\u0000${String(k.SK)}`;
}

/** Sorts by createdAt, then id in byte order (as the other back-ends and the GSIs do). */
function byCreation<T extends { createdAt: number }>(id: (r: T) => string) {
  return (a: T, b: T): number => a.createdAt - b.createdAt || (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0);
}

/** Copies the listed fields whose value is not `undefined` (an absent patch field keeps the stored value). */
function pick<T extends object, K extends keyof T>(patch: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (patch[k] !== undefined) out[k] = patch[k];
  return out;
}

function toPaging({ page, perPage }: PageQuery): { limit: number; offset: number } {
  if (!Number.isSafeInteger(page) || page < 0) throw new RangeError('page must be an integer >= 0');
  if (!Number.isSafeInteger(perPage) || perPage < 1) throw new RangeError('perPage must be an integer >= 1');
  return { limit: perPage, offset: page * perPage };
}

function mapOrNull<T>(item: Item | undefined, map: (i: Item) => T): T | null {
  return item === undefined ? null : map(item);
}

// Items were written by this module from typed records; reading picks exactly the record's fields
// (no keys, counters or entity type), so callers get the port's shapes and nothing more.

function toResourceServer(i: Item): ResourceServerRecord {
  return {
    id: i.id,
    identifier: i.identifier,
    name: i.name,
    scopes: i.scopes,
    signingAlg: i.signingAlg,
    tokenLifetime: i.tokenLifetime,
    routes: i.routes ?? null,
    isSystem: i.isSystem,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  } as ResourceServerRecord;
}

function toClient(i: Item): ClientRecord {
  return {
    clientId: i.clientId,
    name: i.name,
    description: i.description,
    appType: i.appType,
    tokenEndpointAuthMethod: i.tokenEndpointAuthMethod,
    secrets: i.secrets,
    credentials: i.credentials,
    metadata: i.metadata,
    disabled: i.disabled,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  } as ClientRecord;
}

function toClientGrant(i: Item): ClientGrantRecord {
  return {
    id: i.id,
    clientId: i.clientId,
    audience: i.audience,
    scope: i.scope,
    tokenLifetime: i.tokenLifetime ?? null,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  } as ClientGrantRecord;
}

function toSigningKey(i: Item): SigningKeyRecord {
  return {
    kid: i.kid,
    alg: i.alg,
    publicJwk: i.publicJwk,
    encryptedPrivateKey: i.encryptedPrivateKey,
    status: i.status,
    createdAt: i.createdAt,
    activatedAt: i.activatedAt ?? null,
    retiredAt: i.retiredAt ?? null,
    revokedAt: i.revokedAt ?? null,
  } as SigningKeyRecord;
}

/** `SET` of every field (names and values as placeholders), beside the condition's own `values`. */
function setFields(
  fields: Record<string, unknown>,
  values: Item = {},
): {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Item;
} {
  const names: Record<string, string> = {};
  const all: Item = { ...values };
  const sets = Object.entries(fields).map(([field, value], i) => {
    names[`#f${i}`] = field;
    all[`:f${i}`] = value;
    return `#f${i} = :f${i}`;
  });
  return {
    UpdateExpression: `SET ${sets.join(', ')}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: all,
  };
}
