/**
 * DynamoDB back-end of `ContactStore` (AWS SDK v3 DocumentClient). Table design: see
 * `dynamodb-table.ts`.
 *
 * - insert: PutItem with `attribute_not_exists(id)`.
 * - replace/delete: UpdateItem/DeleteItem with `attribute_exists(id)` and, when a version is
 *   expected, `version = :expected`; on a failed condition DynamoDB returns the old item
 *   (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), which tells "missing" (404) from "changed"
 *   (412) without a second read.
 * - list: a Scan with `Limit = limit + 1` (the extra item says whether a page follows), strongly
 *   consistent, resumed from `ExclusiveStartKey = {id: after}`; the cursor wraps that key. The
 *   order is DynamoDB's hash order: stable, not chronological. Scans stop at 1 MB, so it loops
 *   until it has the page or the table ends.
 * - Throttling, capacity and connectivity errors become `StoreUnavailableError` (503) after the
 *   SDK's own retries.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  DynamoDBServiceException,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { StoredContact } from '../contacts/contact.ts';
import {
  ContactExistsError,
  ContactNotFoundError,
  PreconditionFailedError,
  StoreUnavailableError,
} from '../problems/errors.ts';
import type { ContactPage, ContactStore } from './contact-store.ts';

/** Options of `createDynamoDbContactStore`. */
export interface DynamoDbContactStoreOptions {
  client: DynamoDBClient;
  table: string;
  /** Destroy the client on `close()` (true when the store created it). */
  ownsClient?: boolean;
}

/** Creates the DynamoDB contacts store over an existing table. */
export function createDynamoDbContactStore(options: DynamoDbContactStoreOptions): ContactStore {
  const { table } = options;
  const doc = DynamoDBDocumentClient.from(options.client, {
    marshallOptions: { removeUndefinedValues: true },
  });

  async function send<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw translate(error);
    }
  }

  function conditionFailure(error: unknown, id: string): unknown {
    if (error instanceof ConditionalCheckFailedException) {
      return error.Item ? new PreconditionFailedError() : new ContactNotFoundError(id);
    }
    return translate(error);
  }

  return {
    async insert(c) {
      try {
        await doc.send(
          new PutCommand({
            TableName: table,
            Item: { ...c },
            ConditionExpression: 'attribute_not_exists(id)',
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) throw new ContactExistsError(c.id);
        throw translate(error);
      }
    },

    async get(id) {
      const { Item } = await send(() =>
        doc.send(new GetCommand({ TableName: table, Key: { id }, ConsistentRead: true })),
      );
      return Item ? parseItem(Item) : null;
    },

    async list(query): Promise<ContactPage> {
      const want = query.limit + 1;
      const items: StoredContact[] = [];
      let start: Record<string, unknown> | undefined =
        query.after === undefined ? undefined : { id: query.after };
      do {
        const out = await send(() =>
          doc.send(
            new ScanCommand({
              TableName: table,
              Limit: want - items.length,
              ConsistentRead: true,
              ...(start ? { ExclusiveStartKey: start } : {}),
            }),
          ),
        );
        for (const item of out.Items ?? []) items.push(parseItem(item));
        start = out.LastEvaluatedKey;
      } while (start && items.length < want);
      const page: ContactPage = { items: items.slice(0, query.limit) };
      if (items.length > query.limit) page.next = page.items[page.items.length - 1]!.id;
      return page;
    },

    async replace(id, r, expectedVersion) {
      try {
        const out = await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { id },
            UpdateExpression:
              'SET #name = :name, checked = :checked, updatedAt = :updatedAt ADD version :one',
            ConditionExpression:
              expectedVersion === undefined
                ? 'attribute_exists(id)'
                : 'attribute_exists(id) AND version = :expected',
            ExpressionAttributeNames: { '#name': 'name' },
            ExpressionAttributeValues: {
              ':name': r.name,
              ':checked': r.checked,
              ':updatedAt': r.updatedAt,
              ':one': 1,
              ...(expectedVersion === undefined ? {} : { ':expected': expectedVersion }),
            },
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return parseItem(out.Attributes ?? {});
      } catch (error) {
        throw conditionFailure(error, id);
      }
    },

    async delete(id, expectedVersion) {
      try {
        await doc.send(
          new DeleteCommand({
            TableName: table,
            Key: { id },
            ConditionExpression:
              expectedVersion === undefined
                ? 'attribute_exists(id)'
                : 'attribute_exists(id) AND version = :expected',
            ...(expectedVersion === undefined
              ? {}
              : { ExpressionAttributeValues: { ':expected': expectedVersion } }),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
      } catch (error) {
        throw conditionFailure(error, id);
      }
    },

    async ping() {
      await send(() => doc.send(new GetCommand({ TableName: table, Key: { id: 'ping' } })));
    },

    async close() {
      if (options.ownsClient) options.client.destroy();
    },
  };
}

/** Items are read back from our own table, but still checked: a hand-edited item must not pass as a contact. */
function parseItem(item: Record<string, unknown>): StoredContact {
  const { id, name, checked, createdAt, updatedAt, version } = item;
  if (
    typeof id !== 'string' ||
    typeof name !== 'string' ||
    typeof checked !== 'boolean' ||
    typeof createdAt !== 'number' ||
    typeof updatedAt !== 'number' ||
    typeof version !== 'number'
  ) {
    throw new Error(
      `Malformed contact item in DynamoDB (id ${JSON.stringify(typeof id === 'string' ? id : '?')}).`,
    );
  }
  return { id, name, checked, createdAt, updatedAt, version };
}

const RETRYABLE_NAMES = new Set([
  'TimeoutError',
  'AbortError',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
]);

/** Maps AWS errors that mean "not now" to `StoreUnavailableError`; anything else passes through. */
function translate(error: unknown): unknown {
  if (
    error instanceof ProvisionedThroughputExceededException ||
    error instanceof ThrottlingException ||
    error instanceof RequestLimitExceeded ||
    error instanceof ResourceNotFoundException
  ) {
    return new StoreUnavailableError({ cause: error });
  }
  if (error instanceof DynamoDBServiceException) {
    return error.$fault === 'server' ? new StoreUnavailableError({ cause: error }) : error;
  }
  if (error instanceof Error) {
    // Network failures from the HTTP handler (connection refused, reset, timeouts).
    const code = 'code' in error && typeof error.code === 'string' ? error.code : '';
    if (RETRYABLE_NAMES.has(error.name) || RETRYABLE_NAMES.has(code))
      return new StoreUnavailableError({ cause: error });
  }
  return error;
}
