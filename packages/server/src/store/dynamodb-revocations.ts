/**
 * The revocation part of the DynamoDB store: deny-list, cut-offs, revoked keys, their change
 * sequence, and used client assertion ids. The item design is documented in `dynamodb-table.ts`.
 *
 * Changes are numbered by a counter item that every numbering transaction moves conditionally from
 * the value it read, so transactions that number changes are serialized and sequence order is
 * commit order. The other store writes that imply a cut-off (grant reduced or deleted, client
 * disabled or deleted, key revoked) add the items `prepareCutoffs` / `prepareRevokedKey` build to
 * their own transaction; a failed condition among them means another writer moved first, and the
 * caller starts over (`Contention`).
 */
import {
  type DynamoDBDocumentClient,
  PutCommand,
  type QueryCommandInput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { Contention, retrying } from './dynamodb-retry.ts';
import { type ItemKey, itemKeys, revocationChangeSortKey, TTL_ATTRIBUTE } from './dynamodb-table.ts';
import {
  type AssertionReplayStore,
  type CutoffRecord,
  REVOCATION_RETENTION_MS,
  type RevocationStore,
  type RevokedKeyRecord,
  type RevokedTokenRecord,
} from './store.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type Item = Record<string, unknown>;

/** What the revocation functions need from the store around them. */
export interface DynamoDbRevocationDeps {
  doc: DynamoDBDocumentClient;
  table: string;
  get(key: ItemKey): Promise<Item | undefined>;
  queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]>;
  /** Null when committed, the cancellation codes when a condition failed; Contention on a concurrent transaction. */
  transact(items: TransactItem[]): Promise<(string | undefined)[] | null>;
}

/** A cut-off target. */
export interface CutoffTarget {
  clientId: string;
  audience: string | null;
}

/** The revocation methods of the store, and the transaction items other writes add. */
export interface DynamoDbRevocations extends RevocationStore, AssertionReplayStore {
  /** Items that set these cut-offs, for the caller's transaction (reads the counter and the current cut-offs). */
  prepareCutoffs(targets: readonly CutoffTarget[]): Promise<TransactItem[]>;
  /** Items that list `kid` as revoked, or none when it is listed already. */
  prepareRevokedKey(kid: string, revokedAt: number): Promise<TransactItem[]>;
}

/** Most transaction items one cut-off takes (lookup item, change item, the replaced change item). */
export const ITEMS_PER_CUTOFF = 3;

const ttlSeconds = (ms: number): number => Math.ceil(ms / 1000);

/** Creates the revocation methods over the store's table. */
export function createDynamoDbRevocations(deps: DynamoDbRevocationDeps): DynamoDbRevocations {
  const { doc, table, get, queryAll, transact } = deps;

  const readCounter = async (): Promise<number> =>
    Number((await get(itemKeys.revocationCounter()))?.value ?? 0);

  /** Moves the counter from `seen` to `seen + by`; fails (Contention) if another writer moved it first. */
  const counterItem = (seen: number, by: number): TransactItem => ({
    Update: {
      TableName: table,
      Key: itemKeys.revocationCounter(),
      UpdateExpression: 'SET #value = :next, #type = :type',
      ConditionExpression: seen === 0 ? 'attribute_not_exists(#value)' : '#value = :seen',
      ExpressionAttributeNames: { '#value': 'value', '#type': 'type' },
      ExpressionAttributeValues: {
        ':next': seen + by,
        ':type': 'RevocationCounter',
        ...(seen === 0 ? {} : { ':seen': seen }),
      },
    },
  });

  const changeItem = (seq: number, kind: string, fields: Item, expiresAtMs: number): TransactItem => ({
    Put: {
      TableName: table,
      Item: {
        ...itemKeys.revocationChange(seq),
        type: 'RevocationChange',
        kind,
        ...fields,
        [TTL_ATTRIBUTE]: ttlSeconds(expiresAtMs),
      },
    },
  });

  const prepareCutoffs = async (targets: readonly CutoffTarget[]): Promise<TransactItem[]> => {
    const unique = new Map<string, CutoffTarget>();
    for (const t of targets) unique.set(`${t.clientId}\u0000${t.audience ?? ''}`, t);
    if (unique.size === 0) return [];
    const [seen, existing] = await Promise.all([
      readCounter(),
      Promise.all([...unique.values()].map((t) => get(itemKeys.cutoff(t.clientId, t.audience)))),
    ]);
    // The first millisecond after the change: see CutoffRecord.at.
    const now = Date.now() + 1;
    const items: TransactItem[] = [counterItem(seen, unique.size)];
    [...unique.values()].forEach((t, i) => {
      const old = existing[i];
      const seq = seen + i + 1;
      const at = Math.max(now, Number(old?.at ?? 0));
      const record = { clientId: t.clientId, audience: t.audience, at, seq };
      const retainedUntil = at + REVOCATION_RETENTION_MS;
      items.push({
        Put: {
          TableName: table,
          Item: {
            ...itemKeys.cutoff(t.clientId, t.audience),
            type: 'Cutoff',
            ...record,
            [TTL_ATTRIBUTE]: ttlSeconds(retainedUntil),
          },
          ...(old === undefined
            ? { ConditionExpression: 'attribute_not_exists(PK)' }
            : { ConditionExpression: 'seq = :old', ExpressionAttributeValues: { ':old': old.seq } }),
        },
      });
      items.push(changeItem(seq, 'cutoff', record, retainedUntil));
      if (old !== undefined) {
        items.push({ Delete: { TableName: table, Key: itemKeys.revocationChange(Number(old.seq)) } });
      }
    });
    return items;
  };

  const prepareRevokedKey = async (kid: string, revokedAt: number): Promise<TransactItem[]> => {
    const [listed, seen] = await Promise.all([get(itemKeys.revokedKey(kid)), readCounter()]);
    if (listed !== undefined) return [];
    const seq = seen + 1;
    const record = { kid, revokedAt, seq };
    const retainedUntil = revokedAt + REVOCATION_RETENTION_MS;
    return [
      counterItem(seen, 1),
      {
        Put: {
          TableName: table,
          Item: {
            ...itemKeys.revokedKey(kid),
            type: 'RevokedKey',
            ...record,
            [TTL_ATTRIBUTE]: ttlSeconds(retainedUntil),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      changeItem(seq, 'key', record, retainedUntil),
    ];
  };

  /** Every change item from `from` to `to` (sequence numbers, inclusive), strongly consistent. */
  const changesBetween = (from: number, to: number): Promise<Item[]> =>
    from > to
      ? Promise.resolve([])
      : queryAll({
          KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': itemKeys.revocationCounter().PK,
            ':from': revocationChangeSortKey(from),
            ':to': revocationChangeSortKey(to),
          },
          ConsistentRead: true,
        });

  return {
    prepareCutoffs,
    prepareRevokedKey,

    async revokeToken(t) {
      return retrying(`revoking token ${t.jti}`, async () => {
        const [existing, seen] = await Promise.all([
          get(itemKeys.revokedToken(t.audience, t.jti)),
          readCounter(),
        ]);
        if (existing !== undefined) return toRevokedToken(existing);
        const record: RevokedTokenRecord = { ...t, revokedAt: Date.now(), seq: seen + 1 };
        const fields = fromRevokedToken(record);
        const codes = await transact([
          counterItem(seen, 1),
          {
            Put: {
              TableName: table,
              Item: {
                ...itemKeys.revokedToken(t.audience, t.jti),
                type: 'RevokedToken',
                ...fields,
                [TTL_ATTRIBUTE]: ttlSeconds(t.expiresAt),
              },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          changeItem(record.seq, 'token', fields, t.expiresAt),
        ]);
        // Another writer numbered a change, or listed this token, first: read again.
        if (codes) throw new Contention();
        return record;
      });
    },
    async getRevokedToken(audience, jti) {
      const item = await get(itemKeys.revokedToken(audience, jti));
      return item === undefined ? null : toRevokedToken(item);
    },
    async listRevokedTokens({ audience, now, limit }) {
      const latest = await readCounter();
      const items = await changesBetween(1, latest);
      return items
        .filter((i) => i.kind === 'token')
        .map(toRevokedToken)
        .filter((t) => t.expiresAt > now && (audience === undefined || t.audience === audience))
        .slice(0, Math.max(0, Math.trunc(limit)));
    },
    async createCutoff(clientId, audience) {
      return retrying(`setting a cut-off for client ${clientId}`, async () => {
        const items = await prepareCutoffs([{ clientId, audience }]);
        if (await transact(items)) throw new Contention();
        const put = items[1]?.Put?.Item;
        return toCutoff(put ?? {});
      });
    },
    async findCutoffs(clientId, audience) {
      const found = await Promise.all([
        get(itemKeys.cutoff(clientId, audience)),
        get(itemKeys.cutoff(clientId, null)),
      ]);
      return found
        .filter((i) => i !== undefined)
        .map(toCutoff)
        .sort((a, b) => a.seq - b.seq);
    },
    async listRevocationChanges({ sinceSeq, now }) {
      // The counter first: no change at or below it can still be uncommitted, so reading no further
      // than it never skips one.
      const latestSeq = await readCounter();
      const items = await changesBetween((sinceSeq ?? 0) + 1, latestSeq);
      const retained = now - REVOCATION_RETENTION_MS;
      const tokens: RevokedTokenRecord[] = [];
      const cutoffs: CutoffRecord[] = [];
      const keys: RevokedKeyRecord[] = [];
      for (const i of items) {
        if (i.kind === 'token') {
          const t = toRevokedToken(i);
          if (t.expiresAt > now) tokens.push(t);
        } else if (i.kind === 'cutoff') {
          const c = toCutoff(i);
          if (c.at > retained) cutoffs.push(c);
        } else if (i.kind === 'key') {
          const k = toRevokedKey(i);
          if (k.revokedAt > retained) keys.push(k);
        }
      }
      return { latestSeq, tokens, cutoffs, keys };
    },
    async pruneRevocations(now) {
      const latest = await readCounter();
      const items = await changesBetween(1, latest);
      const retained = now - REVOCATION_RETENTION_MS;
      let pruned = 0;
      for (const i of items) {
        let lookup: ItemKey;
        if (i.kind === 'token') {
          const t = toRevokedToken(i);
          if (t.expiresAt > now) continue;
          lookup = itemKeys.revokedToken(t.audience, t.jti);
        } else if (i.kind === 'cutoff') {
          const c = toCutoff(i);
          if (c.at > retained) continue;
          lookup = itemKeys.cutoff(c.clientId, c.audience);
        } else if (i.kind === 'key') {
          const k = toRevokedKey(i);
          if (k.revokedAt > retained) continue;
          lookup = itemKeys.revokedKey(k.kid);
        } else {
          continue;
        }
        // The lookup item goes only if it is still this change's (a cut-off may have moved on).
        const codes = await transact([
          { Delete: { TableName: table, Key: itemKeys.revocationChange(Number(i.seq)) } },
          {
            Delete: {
              TableName: table,
              Key: lookup,
              ConditionExpression: 'attribute_not_exists(PK) OR seq = :seq',
              ExpressionAttributeValues: { ':seq': i.seq },
            },
          },
        ]).catch((err: unknown) => {
          if (err instanceof Contention) return ['busy'];
          throw err;
        });
        if (codes === null) pruned += 1;
      }
      return pruned;
    },
    async recordAssertionJti(clientId, jti, expiresAt) {
      try {
        await doc.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...itemKeys.usedAssertion(clientId, jti),
              type: 'UsedAssertion',
              expiresAtMs: expiresAt,
              [TTL_ATTRIBUTE]: ttlSeconds(expiresAt),
            },
            // Exactly one of concurrent puts finds no live record.
            ConditionExpression: 'attribute_not_exists(PK) OR expiresAtMs <= :now',
            ExpressionAttributeValues: { ':now': Date.now() },
          }),
        );
        return true;
      } catch (err) {
        if ((err as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException') return false;
        throw err;
      }
    },
  };
}

// The item's `expiresAt` is the TTL attribute (seconds); the token's expiry in ms is `tokenExpiresAt`.
/** The attributes of a deny-list entry's items (lookup and change), without keys or TTL. */
export function fromRevokedToken(r: RevokedTokenRecord): Item {
  return {
    jti: r.jti,
    audience: r.audience,
    clientId: r.clientId,
    tokenExpiresAt: r.expiresAt,
    revokedAt: r.revokedAt,
    seq: r.seq,
  };
}

/** A deny-list entry from its lookup or change item. */
export function toRevokedToken(i: Item): RevokedTokenRecord {
  return {
    jti: String(i.jti),
    audience: String(i.audience),
    clientId: typeof i.clientId === 'string' ? i.clientId : null,
    expiresAt: Number(i.tokenExpiresAt),
    revokedAt: Number(i.revokedAt),
    seq: Number(i.seq),
  };
}

/** A cut-off from its lookup or change item. */
export function toCutoff(i: Item): CutoffRecord {
  return {
    clientId: String(i.clientId),
    audience: typeof i.audience === 'string' ? i.audience : null,
    at: Number(i.at),
    seq: Number(i.seq),
  };
}

/** A revoked-key entry from its lookup or change item. */
export function toRevokedKey(i: Item): RevokedKeyRecord {
  return { kid: String(i.kid), revokedAt: Number(i.revokedAt), seq: Number(i.seq) };
}
