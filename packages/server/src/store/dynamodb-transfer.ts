/**
 * `StoreTransfer` on DynamoDB. Every record is written as the items the store's own writes create
 * (see the design in `dynamodb-table.ts`): an API with its id pointer, a grant with its id pointer
 * and the `grantCount` of its client and API moved in step, a current key with its `CURRENT#alg`
 * marker, each revocation entry as its lookup item and its change item, with their TTL.
 *
 * - Exports: APIs, clients, grants and used assertion ids by a Scan filtered on `type`; signing keys
 *   by a Query of the `KEYS` partition; revocation entries from their change items (the
 *   `REVOCATIONS` partition, the feed's own source), so what is exported is what the feed serves.
 * - Imports: BatchWriteItem, 25 items a request, unprocessed items retried with backoff. Not one
 *   transaction: an import is for an empty table, and `gatehouse store migrate` verifies it after.
 */
import {
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { backoff } from './dynamodb-retry.ts';
import { fromRevokedToken, toCutoff, toRevokedKey, toRevokedToken } from './dynamodb-revocations.ts';
import {
  audiencePartition,
  creationSortKey,
  itemKeys,
  LISTING,
  SK_PREFIX,
  TTL_ATTRIBUTE,
} from './dynamodb-table.ts';
import type { ClientGrantRecord, ClientRecord, ResourceServerRecord, SigningKeyRecord } from './store.ts';
import { REVOCATION_RETENTION_MS } from './store.ts';
import type { StoreTransfer, TransferKind, TransferRecords } from './store-transfer.ts';

type Item = Record<string, unknown>;
type WriteRequest = NonNullable<NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string]>[number];

/** What the transfer needs from the store around it. */
export interface DynamoDbTransferDeps {
  doc: DynamoDBDocumentClient;
  table: string;
  /** The store's item readers (an item to the port's record, nothing more). */
  decode: {
    resourceServer(i: Item): ResourceServerRecord;
    client(i: Item): ClientRecord;
    clientGrant(i: Item): ClientGrantRecord;
    signingKey(i: Item): SigningKeyRecord;
  };
}

/** BatchWriteItem's limit. */
const BATCH_WRITE_ITEMS = 25;

const ttlSeconds = (ms: number): number => Math.ceil(ms / 1000);

/** `type` of the items a Scan exports for each scanned kind. */
const SCANNED_TYPE: Partial<Record<TransferKind, string>> = {
  resourceServer: 'ResourceServer',
  client: 'Client',
  clientGrant: 'ClientGrant',
  usedAssertion: 'UsedAssertion',
};

/** `kind` of a revocation change item for each revocation kind. */
const CHANGE_KIND: Partial<Record<TransferKind, string>> = {
  revokedToken: 'token',
  cutoff: 'cutoff',
  revokedKey: 'key',
};

/** Creates the transfer methods over the store's table. */
export function createDynamoDbTransfer({ doc, table, decode: read }: DynamoDbTransferDeps): StoreTransfer {
  /** Writes items 25 at a time, retrying what DynamoDB left unprocessed. */
  async function putAll(items: Item[]): Promise<void> {
    await writeAll(items.map((Item) => ({ PutRequest: { Item } })));
  }

  async function writeAll(requests: WriteRequest[]) {
    for (let i = 0; i < requests.length; i += BATCH_WRITE_ITEMS) {
      let pending: WriteRequest[] | undefined = requests.slice(i, i + BATCH_WRITE_ITEMS);
      for (let round = 0; pending && pending.length > 0; round += 1) {
        if (round > 0) await backoff(Math.min(round, 6));
        const out: BatchWriteCommandOutput = await doc.send(
          new BatchWriteCommand({ RequestItems: { [table]: pending } }),
        );
        pending = out.UnprocessedItems?.[table];
      }
    }
  }

  async function* scanType(type: string, batchSize: number): AsyncGenerator<Item[]> {
    let start: Item | undefined;
    let batch: Item[] = [];
    do {
      const out = await doc.send(
        new ScanCommand({
          TableName: table,
          FilterExpression: '#type = :type',
          // Strongly consistent, so a verification right after an import sees every item.
          ConsistentRead: true,
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':type': type },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        batch.push(item);
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
      start = out.LastEvaluatedKey;
    } while (start);
    if (batch.length > 0) yield batch;
  }

  async function* queryPartition(pk: string, skPrefix: string, batchSize: number): AsyncGenerator<Item[]> {
    let start: Item | undefined;
    let batch: Item[] = [];
    do {
      const out = await doc.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :sk)',
          ExpressionAttributeValues: { ':pk': pk, ':sk': skPrefix },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        batch.push(item);
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
      start = out.LastEvaluatedKey;
    } while (start);
    if (batch.length > 0) yield batch;
  }

  /** Adds `by` to the `grantCount` of each item. */
  async function addGrantCounts(counts: Map<string, { key: { PK: string; SK: string }; by: number }>) {
    await Promise.all(
      [...counts.values()].map(({ key, by }) =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key,
            UpdateExpression: 'ADD grantCount :by',
            ExpressionAttributeValues: { ':by': by },
          }),
        ),
      ),
    );
  }

  const importers: { [K in TransferKind]: (records: readonly TransferRecords[K][]) => Promise<void> } = {
    async resourceServer(records) {
      await putAll(
        records.flatMap((rs) => [
          {
            ...itemKeys.resourceServer(rs.identifier),
            type: 'ResourceServer',
            GSI1PK: LISTING.resourceServer,
            GSI1SK: creationSortKey(rs.createdAt, rs.id),
            ...rs,
            grantCount: 0,
          },
          { ...itemKeys.resourceServerId(rs.id), type: 'ResourceServerId', identifier: rs.identifier },
        ]),
      );
    },
    async client(records) {
      await putAll(
        records.map((c) => ({
          ...itemKeys.client(c.clientId),
          type: 'Client',
          GSI1PK: LISTING.client,
          GSI1SK: creationSortKey(c.createdAt, c.clientId),
          ...c,
          grantCount: 0,
        })),
      );
    },
    async clientGrant(records) {
      await putAll(
        records.flatMap((g) => {
          const sortKey = creationSortKey(g.createdAt, g.id);
          return [
            {
              ...itemKeys.clientGrant(g.clientId, g.audience),
              type: 'ClientGrant',
              GSI1PK: LISTING.clientGrant,
              GSI1SK: sortKey,
              GSI2PK: audiencePartition(g.audience),
              GSI2SK: sortKey,
              ...g,
            },
            {
              ...itemKeys.clientGrantId(g.id),
              type: 'ClientGrantId',
              clientId: g.clientId,
              audience: g.audience,
            },
          ];
        }),
      );
      const counts = new Map<string, { key: { PK: string; SK: string }; by: number }>();
      for (const g of records) {
        for (const key of [itemKeys.client(g.clientId), itemKeys.resourceServer(g.audience)]) {
          const entry = counts.get(key.PK) ?? { key, by: 0 };
          entry.by += 1;
          counts.set(key.PK, entry);
        }
      }
      await addGrantCounts(counts);
    },
    async signingKey(records) {
      await putAll(
        records.flatMap((k) => [
          { ...itemKeys.signingKey(k.kid), type: 'SigningKey', ...k },
          ...(k.status === 'current'
            ? [{ ...itemKeys.currentKey(k.alg), type: 'CurrentSigningKey', kid: k.kid }]
            : []),
        ]),
      );
    },
    async revokedToken(records) {
      await putAll(
        records.flatMap((t) => {
          const fields = fromRevokedToken(t);
          const ttl = ttlSeconds(t.expiresAt);
          return [
            {
              ...itemKeys.revokedToken(t.audience, t.jti),
              type: 'RevokedToken',
              ...fields,
              [TTL_ATTRIBUTE]: ttl,
            },
            changeItem(t.seq, 'token', fields, ttl),
          ];
        }),
      );
    },
    async cutoff(records) {
      await putAll(
        records.flatMap((c) => {
          const ttl = ttlSeconds(c.at + REVOCATION_RETENTION_MS);
          const fields = { clientId: c.clientId, audience: c.audience, at: c.at, seq: c.seq };
          return [
            { ...itemKeys.cutoff(c.clientId, c.audience), type: 'Cutoff', ...fields, [TTL_ATTRIBUTE]: ttl },
            changeItem(c.seq, 'cutoff', fields, ttl),
          ];
        }),
      );
    },
    async revokedKey(records) {
      await putAll(
        records.flatMap((k) => {
          const ttl = ttlSeconds(k.revokedAt + REVOCATION_RETENTION_MS);
          const fields = { kid: k.kid, revokedAt: k.revokedAt, seq: k.seq };
          return [
            { ...itemKeys.revokedKey(k.kid), type: 'RevokedKey', ...fields, [TTL_ATTRIBUTE]: ttl },
            changeItem(k.seq, 'key', fields, ttl),
          ];
        }),
      );
    },
    async usedAssertion(records) {
      await putAll(
        records.map((a) => ({
          ...itemKeys.usedAssertion(a.clientId, a.jti),
          type: 'UsedAssertion',
          expiresAtMs: a.expiresAt,
          [TTL_ATTRIBUTE]: ttlSeconds(a.expiresAt),
        })),
      );
    },
  };

  return {
    async *exportRecords<K extends TransferKind>(kind: K, batchSize: number) {
      const size = Math.max(1, Math.trunc(batchSize));
      const changeKind = CHANGE_KIND[kind];
      const scanned = SCANNED_TYPE[kind];
      if (kind === 'signingKey') {
        for await (const items of queryPartition('KEYS', SK_PREFIX.signingKey, size)) {
          yield items.map(read.signingKey) as TransferRecords[K][];
        }
      } else if (changeKind !== undefined) {
        const decode =
          changeKind === 'token' ? toRevokedToken : changeKind === 'cutoff' ? toCutoff : toRevokedKey;
        // The change partition mixes the three kinds; batches are re-cut after filtering.
        let batch: TransferRecords[K][] = [];
        for await (const items of queryPartition('REVOCATIONS', 'SEQ#', size)) {
          for (const i of items) {
            if (i.kind !== changeKind) continue;
            batch.push(decode(i) as TransferRecords[K]);
            if (batch.length >= size) {
              yield batch;
              batch = [];
            }
          }
        }
        if (batch.length > 0) yield batch;
      } else if (scanned !== undefined) {
        const decode: (i: Item) => unknown =
          kind === 'resourceServer'
            ? read.resourceServer
            : kind === 'client'
              ? read.client
              : kind === 'clientGrant'
                ? read.clientGrant
                : toUsedAssertion;
        for await (const items of scanType(scanned, size)) {
          yield items.map(decode) as TransferRecords[K][];
        }
      }
    },

    async importRecords<K extends TransferKind>(kind: K, records: readonly TransferRecords[K][]) {
      if (records.length === 0) return;
      await (importers[kind] as (r: readonly TransferRecords[K][]) => Promise<void>)(records);
    },

    async advanceRevocationSequence(seq) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: itemKeys.revocationCounter(),
            UpdateExpression: 'SET #value = :seq, #type = :type',
            ConditionExpression: 'attribute_not_exists(#value) OR #value < :seq',
            ExpressionAttributeNames: { '#value': 'value', '#type': 'type' },
            ExpressionAttributeValues: { ':seq': Math.trunc(seq), ':type': 'RevocationCounter' },
          }),
        );
      } catch (err) {
        // Already at or past `seq`: never back.
        if ((err as { name?: unknown }).name !== 'ConditionalCheckFailedException') throw err;
      }
    },

    async eraseAll() {
      const counter = itemKeys.revocationCounter();
      let start: Item | undefined;
      do {
        const out = await doc.send(
          new ScanCommand({
            TableName: table,
            ProjectionExpression: 'PK, SK',
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        const keys = (out.Items ?? []).filter((k) => !(k.PK === counter.PK && k.SK === counter.SK));
        await writeAll(keys.map((Key) => ({ DeleteRequest: { Key } })));
        start = out.LastEvaluatedKey;
      } while (start);
    },
  };

  function changeItem(seq: number, kind: string, fields: Item, ttl: number): Item {
    return {
      ...itemKeys.revocationChange(seq),
      type: 'RevocationChange',
      kind,
      ...fields,
      [TTL_ATTRIBUTE]: ttl,
    };
  }
}

/** A used assertion id from its item: the client id (which holds no `#`) and the jti are in its key. */
function toUsedAssertion(i: Item): TransferRecords['usedAssertion'] {
  const rest = String(i.PK).slice('JTI#'.length);
  const cut = rest.indexOf('#');
  return { clientId: rest.slice(0, cut), jti: rest.slice(cut + 1), expiresAt: Number(i.expiresAtMs) };
}
