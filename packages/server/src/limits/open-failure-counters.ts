/**
 * Opens the failure counters next to the configured store, so that instances sharing the store
 * share them: the SQLite file, the PostgreSQL database, the DynamoDB table.
 */
import { join } from 'node:path';
import type { ServerConfig } from '../config.ts';
import { dynamoDbConnection, SQLITE_FILE_NAME } from '../store/open-store.ts';
import type { FailureCounterStore } from './failure-counter-store.ts';

/** Opens the failure counters for the configured store (after the store itself has opened). */
export async function openFailureCounters(
  config: Pick<ServerConfig, 'store' | 'dataDir' | 'databaseUrl' | 'dynamodbTable' | 'dynamodbEndpoint'>,
  onError?: (err: Error) => void,
): Promise<FailureCounterStore> {
  switch (config.store) {
    case 'sqlite': {
      const { createSqliteFailureCounters } = await import('./sqlite-failure-counters.ts');
      return createSqliteFailureCounters(join(config.dataDir, SQLITE_FILE_NAME));
    }
    case 'postgres': {
      const { createPostgresFailureCounters } = await import('./postgres-failure-counters.ts');
      return createPostgresFailureCounters(config.databaseUrl ?? '', onError);
    }
    case 'dynamodb': {
      const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
      const { createDynamoDbFailureCounters } = await import('./dynamodb-failure-counters.ts');
      const client = new DynamoDBClient(dynamoDbConnection(config.dynamodbEndpoint));
      const counters = createDynamoDbFailureCounters({ table: config.dynamodbTable, client });
      return { ...counters, close: async () => client.destroy() };
    }
  }
}
