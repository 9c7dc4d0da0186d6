/**
 * Failure counters in the store's DynamoDB table, so Lambda instances and containers sharing the
 * table share them. One item per key (written only on a failure):
 *
 * | entity         | PK                | SK         | type           | TTL (`expiresAt`)           |
 * | -------------- | ----------------- | ---------- | -------------- | --------------------------- |
 * | failure counter | `AUTHFAIL#<key>` | `AUTHFAIL` | `auth-failure` | when the record can be forgotten |
 *
 * A failure is an optimistic read-modify-write: a strongly consistent GetItem, then a PutItem
 * conditioned on the `version` it read, retried with jittered back-off on conflict. `listLocked` answers nothing: a Scan
 * of the table on a timer would cost more than it saves, so an instance learns of a lock set
 * elsewhere at its own next failure for that key (then it answers 429 at once). The `type`
 * attribute keeps these items out of `gatehouse store` exports, which select by type.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TTL_ATTRIBUTE } from '../store/dynamodb-table.ts';
import type { FailureCounterStore } from './failure-counter-store.ts';
import { applyFailure, type FailureRecord, forgetAt } from './lockout-policy.ts';

/** Attempts of the read-modify-write before giving up (the failure is then answered as usual). */
const MAX_ATTEMPTS = 12;

/** Options of `createDynamoDbFailureCounters`. */
export interface DynamoDbFailureCountersOptions {
  table: string;
  client: DynamoDBClient;
}

/** Creates the counters over the store's table. */
export function createDynamoDbFailureCounters({
  table,
  client,
}: DynamoDbFailureCountersOptions): FailureCounterStore {
  const doc = DynamoDBDocumentClient.from(client);
  return {
    async recordFailure(key, now, rule) {
      const Key = { PK: `AUTHFAIL#${key}`, SK: 'AUTHFAIL' };
      for (let attempt = 0; ; attempt++) {
        const { Item } = await doc.send(new GetCommand({ TableName: table, Key, ConsistentRead: true }));
        const version = typeof Item?.version === 'number' ? Item.version : 0;
        const before: FailureRecord | null =
          Item === undefined
            ? null
            : {
                failures: Number(Item.failures),
                windowStartedAt: Number(Item.windowStartedAt),
                lastFailureAt: Number(Item.lastFailureAt),
                lockedUntil: Number(Item.lockedUntil),
                lockouts: Number(Item.lockouts),
              };
        const after = applyFailure(before, now, rule);
        try {
          await doc.send(
            new PutCommand({
              TableName: table,
              Item: {
                ...Key,
                type: 'auth-failure',
                ...after,
                version: version + 1,
                [TTL_ATTRIBUTE]: Math.ceil(forgetAt(after, rule) / 1000),
              },
              ...(Item === undefined
                ? { ConditionExpression: 'attribute_not_exists(PK)' }
                : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': version } }),
            }),
          );
          return { before, after };
        } catch (err) {
          if (!(err instanceof ConditionalCheckFailedException) || attempt + 1 >= MAX_ATTEMPTS) throw err;
          // Someone else wrote the key in between: back off a little, with jitter, and re-read.
          await new Promise((r) => setTimeout(r, Math.random() * 10 * (attempt + 1)));
        }
      }
    },
    async listLocked() {
      return [];
    },
    async close() {},
  };
}
