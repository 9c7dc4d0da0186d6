/**
 * `gatehouse store init`: makes a store ready to serve, idempotently. DynamoDB: creates the table
 * with its keys, both GSIs and TTL (`createStoreTable`), or checks an existing one. PostgreSQL and
 * SQLite: applies pending schema migrations (PostgreSQL under its advisory lock, so it is safe while
 * servers start). Running it again changes nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SQLITE_FILE_NAME } from '../../store/open-store.ts';
import type { Store } from '../../store/store.ts';
import { describeStoreLocation, type StoreLocation } from './store-location.ts';

/** What `init` did. */
export interface StoreInitResult {
  store: StoreLocation['store'];
  /** Where, without any password. */
  location: string;
  /** `created`: the table or file did not exist; `exists`: it did and was checked or migrated. */
  outcome: 'created' | 'exists';
  /** Lines describing each step, for the terminal. */
  steps: string[];
}

/** Opens (not migrated) the store at `location`. */
export async function openStoreAt(location: StoreLocation): Promise<Store> {
  const { openStore } = await import('../../store/open-store.ts');
  return openStore(location);
}

/** Initialises the store at `location`; `progress` hears each step as it starts. */
export async function initStore(
  location: StoreLocation,
  progress: (line: string) => void = () => {},
): Promise<StoreInitResult> {
  const where = describeStoreLocation(location);
  const steps: string[] = [];
  const step = (line: string) => {
    steps.push(line);
    progress(line);
  };
  let outcome: StoreInitResult['outcome'] = 'exists';
  if (location.store === 'dynamodb') {
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const { createStoreTable, BY_TYPE_INDEX, BY_AUDIENCE_INDEX, TTL_ATTRIBUTE } = await import(
      '../../store/dynamodb-table.ts'
    );
    const { dynamoDbConnection } = await import('../../store/open-store.ts');
    const client = new DynamoDBClient(dynamoDbConnection(location.dynamodbEndpoint));
    try {
      step(`${where}: creating it if absent (on-demand billing) and waiting until it is ACTIVE...`);
      outcome = await createStoreTable({ table: location.dynamodbTable, client });
      step(
        outcome === 'created'
          ? `${where}: created with key (PK, SK), indexes ${BY_TYPE_INDEX} and ${BY_AUDIENCE_INDEX}, TTL on ${TTL_ATTRIBUTE}`
          : `${where}: already exists; key, indexes ${BY_TYPE_INDEX} and ${BY_AUDIENCE_INDEX} checked, TTL on ${TTL_ATTRIBUTE} enabled`,
      );
    } finally {
      client.destroy();
    }
  }
  if (location.store === 'sqlite' && !existsSync(join(location.dataDir, SQLITE_FILE_NAME)))
    outcome = 'created';
  step(
    `${where}: ${location.store === 'dynamodb' ? 'checking the table design' : 'applying pending schema migrations'}...`,
  );
  const store = await openStoreAt(location);
  try {
    await store.migrate();
    await store.ping();
  } finally {
    await store.close();
  }
  step(
    location.store === 'dynamodb'
      ? `${where}: ready`
      : `${where}: ${outcome === 'created' ? 'created, ' : ''}schema up to date; ready`,
  );
  return { store: location.store, location: where, outcome, steps };
}
