/** Opens the store `CONTACTS_STORE` names, from the validated configuration. */
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ContactsConfig } from '../config.ts';
import type { ContactStore } from './contact-store.ts';
import { createDynamoDbContactStore } from './dynamodb-contact-store.ts';
import { createSqliteContactStore, SQLITE_FILE_NAME } from './sqlite-contact-store.ts';

/** The part of the configuration a store needs. */
export type ContactStoreConfig = Pick<
  ContactsConfig,
  'store' | 'dataDir' | 'table' | 'dynamodbEndpoint' | 'awsRegion' | 'awsCredentialsInEnv'
>;

/**
 * A DynamoDB client for the configuration. With an endpoint override (DynamoDB Local), a missing
 * region defaults to us-east-1 and missing credentials to a placeholder pair (DynamoDB Local
 * accepts any); against AWS both come from the SDK's usual chain (the Lambda role).
 */
export function createDynamoDbClient(config: ContactStoreConfig): DynamoDBClient {
  const local = config.dynamodbEndpoint !== undefined;
  return new DynamoDBClient({
    ...(local ? { endpoint: config.dynamodbEndpoint } : {}),
    ...(config.awsRegion ? { region: config.awsRegion } : local ? { region: 'us-east-1' } : {}),
    ...(local && !config.awsCredentialsInEnv
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
  });
}

/** Opens the configured store: SQLite `contacts.db` in the data directory, or the DynamoDB table. */
export function createContactStore(config: ContactStoreConfig): ContactStore {
  if (config.store === 'dynamodb') {
    return createDynamoDbContactStore({
      client: createDynamoDbClient(config),
      table: config.table,
      ownsClient: true,
    });
  }
  return createSqliteContactStore({ file: join(config.dataDir, SQLITE_FILE_NAME) });
}
