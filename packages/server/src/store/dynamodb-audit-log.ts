/**
 * The DynamoDB back-end of `AuditLogStore`, in the store's one table (see dynamodb-table.ts):
 *
 * | entity            | PK      | SK                                                  | TTL (`expiresAt`, s) |
 * | ----------------- | ------- | --------------------------------------------------- | -------------------- |
 * | audit event       | `AUDIT` | `LOG#<ULID>` (time-ordered)                         | end of retention     |
 * | token usage row   | `USAGE` | `<bucket ms, 16 digits>#<outcome>#<clientId>#<aud>` | end of retention     |
 *
 * - Both live in one partition each: audit events are written at administrative rates and usage
 *   rows once a minute per instance and (client, API), far below a partition's 1,000 writes a second.
 * - A list is one strongly consistent range Query on the time-ordered sort key (`from`/`to` become
 *   key bounds); the other filters are a FilterExpression. Without `countTotal` it stops reading
 *   once the page is full; with it, it reads every event in the range (retention bounds that).
 * - Usage adds are `UpdateItem ADD`, atomic per row, so flushes from several instances sum.
 * - Expiry: DynamoDB's TTL deletes both kinds within days of `expiresAt`; reads compare the
 *   millisecond `expiresAtMs` with the clock, so an expired event is never answered, and the prune
 *   methods leave the deletion to TTL (they answer 0).
 * - The event's `details` is kept as JSON text: exact round trip, well under the 400 KB item limit
 *   (the recorder caps it at 64 KB).
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html
 */

import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { createUlid } from '../token/ulid.ts';
import {
  type AuditEventQuery,
  type AuditEventRecord,
  type AuditLogStore,
  type TokenUsageIncrement,
  toAuditEventType,
} from './audit-log.ts';
import { TTL_ATTRIBUTE } from './dynamodb-table.ts';
import { StoreConflictError } from './store.ts';

type Item = Record<string, unknown>;

const AUDIT_PK = 'AUDIT';
const USAGE_PK = 'USAGE';
/** Usage adds in flight at once during a flush. */
const USAGE_WRITE_CONCURRENCY = 8;

const ttlSeconds = (ms: number): number => Math.ceil(ms / 1000);
const bucketKey = (ms: number): string => String(Math.max(0, Math.trunc(ms))).padStart(16, '0');
/** The lowest event sort key at time `ms`: the ULID time part followed by the lowest random part. */
const logKeyAt = (ms: number): string =>
  `LOG#${createUlid(Math.max(0, Math.trunc(ms))).slice(0, 10)}${'0'.repeat(16)}`;

/** What the audit functions need from the store around them. */
export interface DynamoDbAuditLogDeps {
  doc: DynamoDBDocumentClient;
  table: string;
}

/** Creates the audit-log methods over the store's table. */
export function createDynamoDbAuditLog({ doc, table }: DynamoDbAuditLogDeps): AuditLogStore {
  const addUsage = (i: TokenUsageIncrement) =>
    doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { PK: USAGE_PK, SK: `${bucketKey(i.bucket)}#${i.outcome}#${i.clientId}#${i.audience}` },
        UpdateExpression:
          'ADD #count :count, #lifetime :lifetime SET #type = :type, #bucket = :bucket, #client = :client, #audience = :audience, #outcome = :outcome, #ttl = :ttl',
        ExpressionAttributeNames: {
          '#count': 'count',
          '#lifetime': 'lifetimeSum',
          '#type': 'type',
          '#bucket': 'bucket',
          '#client': 'clientId',
          '#audience': 'audience',
          '#outcome': 'outcome',
          '#ttl': TTL_ATTRIBUTE,
        },
        ExpressionAttributeValues: {
          ':count': i.count,
          ':lifetime': i.lifetimeSum,
          ':type': 'TokenUsage',
          ':bucket': i.bucket,
          ':client': i.clientId,
          ':audience': i.audience,
          ':outcome': i.outcome,
          ':ttl': ttlSeconds(i.expiresAt),
        },
      }),
    );

  return {
    async appendAuditEvent(e) {
      try {
        await doc.send(
          new PutCommand({
            TableName: table,
            Item: toItem(e),
            ConditionExpression: 'attribute_not_exists(PK)',
          }),
        );
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) {
          throw new StoreConflictError(`audit event ${e.id} exists`);
        }
        throw err;
      }
    },
    async getAuditEvent(id, now) {
      const { Item } = await doc.send(
        new GetCommand({ TableName: table, Key: { PK: AUDIT_PK, SK: `LOG#${id}` }, ConsistentRead: true }),
      );
      if (Item === undefined || Number(Item.expiresAtMs) <= now) return null;
      return toAuditEvent(Item);
    },
    async listAuditEvents(q) {
      const { filter, names, values } = filterOf(q);
      const wanted = (q.page + 1) * q.perPage;
      const matched: Item[] = [];
      let total = 0;
      let start: Item | undefined;
      do {
        const out = await doc.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'PK = :pk AND SK BETWEEN :low AND :high',
            FilterExpression: filter,
            ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
            ExpressionAttributeValues: {
              ...values,
              ':pk': AUDIT_PK,
              ':low': q.from === undefined ? 'LOG#' : logKeyAt(q.from),
              ':high': q.to === undefined ? 'LOG#\uffff' : logKeyAt(q.to),
            },
            ScanIndexForward: q.order === 'asc',
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        for (const item of out.Items ?? []) {
          total += 1;
          if (matched.length < wanted) matched.push(item);
        }
        start = out.LastEvaluatedKey;
      } while (start !== undefined && (q.countTotal !== false || matched.length < wanted));
      const offset = q.page * q.perPage;
      return { items: matched.slice(offset, offset + q.perPage).map(toAuditEvent), total };
    },
    async pruneAuditEvents() {
      return 0;
    },
    async addTokenUsage(increments) {
      for (let i = 0; i < increments.length; i += USAGE_WRITE_CONCURRENCY) {
        await Promise.all(increments.slice(i, i + USAGE_WRITE_CONCURRENCY).map(addUsage));
      }
    },
    async listTokenUsage({ from, to, clientId }) {
      if (to <= from) return [];
      const items: Item[] = [];
      let start: Item | undefined;
      do {
        const out = await doc.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'PK = :pk AND SK BETWEEN :low AND :high',
            ...(clientId === undefined
              ? {}
              : {
                  FilterExpression: '#client = :client',
                  ExpressionAttributeNames: { '#client': 'clientId' },
                }),
            ExpressionAttributeValues: {
              ':pk': USAGE_PK,
              ':low': bucketKey(from),
              ':high': `${bucketKey(to - 1)}\uffff`,
              ...(clientId === undefined ? {} : { ':client': clientId }),
            },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        items.push(...(out.Items ?? []));
        start = out.LastEvaluatedKey;
      } while (start !== undefined);
      return items
        .map((r) => ({
          bucket: Number(r.bucket),
          clientId: String(r.clientId),
          audience: String(r.audience),
          outcome: String(r.outcome),
          count: Number(r.count),
          lifetimeSum: Number(r.lifetimeSum ?? 0),
        }))
        .filter((r) => r.bucket >= from && r.bucket < to)
        .sort(
          (a, b) =>
            a.bucket - b.bucket ||
            compare(a.clientId, b.clientId) ||
            compare(a.audience, b.audience) ||
            compare(a.outcome, b.outcome),
        );
    },
    async pruneTokenUsage() {
      return 0;
    },
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The FilterExpression of an event query: liveness, the exact `from`/`to` bounds, and each given field. */
function filterOf(q: AuditEventQuery): {
  filter: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
} {
  const parts = ['expiresAtMs > :now'];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':now': q.now };
  const eq = (attribute: string, value: string | undefined) => {
    if (value === undefined) return;
    names[`#${attribute}`] = attribute;
    values[`:${attribute}`] = value;
    parts.push(`#${attribute} = :${attribute}`);
  };
  eq('clientId', q.clientId);
  eq('logType', q.type);
  eq('action', q.action);
  eq('targetType', q.targetType);
  eq('targetId', q.targetId);
  if (q.from !== undefined) {
    values[':from'] = q.from;
    parts.push('#at >= :from');
  }
  if (q.to !== undefined) {
    values[':to'] = q.to;
    parts.push('#at < :to');
  }
  if (q.from !== undefined || q.to !== undefined) names['#at'] = 'at';
  return { filter: parts.join(' AND '), names, values };
}

function toItem(e: AuditEventRecord): Item {
  return {
    PK: AUDIT_PK,
    SK: `LOG#${e.id}`,
    type: 'AuditEvent',
    id: e.id,
    at: e.at,
    logType: e.type,
    action: e.action,
    outcome: e.outcome,
    clientId: e.clientId,
    clientName: e.clientName,
    ip: e.ip,
    userAgent: e.userAgent,
    targetType: e.targetType,
    targetId: e.targetId,
    description: e.description,
    details: JSON.stringify(e.details),
    expiresAtMs: e.expiresAt,
    [TTL_ATTRIBUTE]: ttlSeconds(e.expiresAt),
  };
}

const optionalString = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function toAuditEvent(item: Item): AuditEventRecord {
  const outcome = item.outcome === 'failure' ? 'failure' : 'success';
  const details: unknown = JSON.parse(String(item.details ?? '{}'));
  return {
    id: String(item.id),
    at: Number(item.at),
    type: toAuditEventType(String(item.logType), outcome),
    action: String(item.action),
    outcome,
    clientId: optionalString(item.clientId),
    clientName: optionalString(item.clientName),
    ip: optionalString(item.ip),
    userAgent: optionalString(item.userAgent),
    targetType: optionalString(item.targetType),
    targetId: optionalString(item.targetId),
    description: String(item.description ?? ''),
    details: isRecord(details) ? details : {},
    expiresAt: Number(item.expiresAtMs),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
