/**
 * Opens the store `GATEHOUSE_STORE` names. The PostgreSQL and DynamoDB back-ends are imported only
 * when chosen, so an embedded (SQLite) server never loads pg or the AWS SDK.
 */
import { join } from 'node:path';
import type { ServerConfig } from '../config.ts';
import type { Store } from './store.ts';

/** File name of the embedded store inside `GATEHOUSE_DATA_DIR`. */
export const SQLITE_FILE_NAME = 'gatehouse.db';

/** Opens (not yet migrated) the configured store back-end. */
export async function openStore(
  config: Pick<ServerConfig, 'store' | 'dataDir' | 'databaseUrl' | 'dynamodbTable' | 'dynamodbEndpoint'>,
  onError?: (err: Error) => void,
): Promise<Store> {
  switch (config.store) {
    case 'sqlite': {
      const { createSqliteStore } = await import('./sqlite-store.ts');
      return createSqliteStore({ file: join(config.dataDir, SQLITE_FILE_NAME) });
    }
    case 'postgres': {
      const { createPostgresStore } = await import('./postgres-store.ts');
      // config.ts guarantees the URL for this back-end.
      return createPostgresStore({
        connectionString: config.databaseUrl ?? '',
        ...(onError ? { onError } : {}),
      });
    }
    case 'dynamodb': {
      const { createDynamoDbStore } = await import('./dynamodb-store.ts');
      return createDynamoDbStore({
        table: config.dynamodbTable,
        ...dynamoDbConnection(config.dynamodbEndpoint),
      });
    }
  }
}

/**
 * Endpoint, region and credentials for DynamoDB: with a loopback endpoint (DynamoDB Local) a fixed
 * region and placeholder credentials, which DynamoDB Local accepts; otherwise (AWS, or a VPC
 * endpoint) the AWS SDK's default chain (environment, profile, instance or Lambda role).
 */
export function dynamoDbConnection(endpoint: string | undefined): {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
} {
  if (endpoint === undefined) return {};
  const host = new URL(endpoint).hostname;
  if (!/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(host)) return { endpoint };
  return { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}
