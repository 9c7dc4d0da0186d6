/**
 * The DynamoDB table of the contacts service, declared here with its design:
 *
 * | item     | partition key `id` (S)      | attributes                                          |
 * | -------- | --------------------------- | --------------------------------------------------- |
 * | contact  | the contact's UUIDv7        | name (S), checked (BOOL), createdAt (N), updatedAt (N), version (N) |
 *
 * - No sort key, no GSI, no TTL: every access is by id (GetItem, PutItem, UpdateItem, DeleteItem),
 *   which spreads load over partitions; the list is a paginated Scan (see dynamodb-contact-store.ts).
 *   When contacts gain an owner, the list becomes a Query on a GSI keyed by owner, with no change
 *   to this key.
 * - On-demand billing (PAY_PER_REQUEST): a reference service has no steady load to provision for.
 * - `version` is the optimistic-locking counter every conditional write compares.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

/** Outcome of `createContactsTable`. */
export type TableCreation = 'created' | 'exists';

/** Raised when a table of that name exists with another key schema. */
export class TableMismatchError extends Error {
  readonly code = 'ERR_CONTACTS_TABLE_MISMATCH';
  constructor(table: string) {
    super(`Table ${table} exists but its key schema is not (id HASH, S); choose another CONTACTS_TABLE.`);
    this.name = 'TableMismatchError';
  }
}

/**
 * Creates the contacts table if absent and waits until it is ACTIVE; idempotent (an existing
 * table with the right key is left as is).
 */
export async function createContactsTable(client: DynamoDBClient, table: string): Promise<TableCreation> {
  let outcome: TableCreation = 'created';
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    outcome = 'exists';
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    const key = Table?.KeySchema ?? [];
    const idType = Table?.AttributeDefinitions?.find((a) => a.AttributeName === 'id')?.AttributeType;
    if (key.length !== 1 || key[0]?.AttributeName !== 'id' || key[0]?.KeyType !== 'HASH' || idType !== 'S') {
      throw new TableMismatchError(table);
    }
  }
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { TableName: table });
  return outcome;
}
