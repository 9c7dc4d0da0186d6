/**
 * A gatehouse store as the secret scan sees it (issue 11): the keys to look for (the key-encryption
 * key, the keys derived from it, and every signing key's private half, unsealed) and the places to
 * look in (the SQLite files, every PostgreSQL row, every DynamoDB item). Sealed private keys and
 * secret hashes are fine where they are; a plain secret, token or key is a leak.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { ServerConfig } from '../config.ts';
import { createKek, KEK_FILE_NAME, parseKek } from '../keys/kek.ts';
import { dynamoDbConnection, openStore } from '../store/open-store.ts';
import type { Place, SecretLedger } from './secret-scan.ts';

/** Where a server keeps its state and its key-encryption key. */
export type StoreLocation = Pick<
  ServerConfig,
  'store' | 'dataDir' | 'databaseUrl' | 'dynamodbTable' | 'dynamodbEndpoint' | 'kek' | 'kmsKek'
>;

/** Where the server configured by `config` keeps its state. */
export function storeLocationOf(config: StoreLocation): StoreLocation {
  const { store, dataDir, databaseUrl, dynamodbTable, dynamodbEndpoint, kek, kmsKek } = config;
  return { store, dataDir, databaseUrl, dynamodbTable, dynamodbEndpoint, kek, kmsKek };
}

/** SQLite's database, write-ahead log, shared memory and rollback journal. */
const SQLITE_FILE = /\.(db|sqlite)(-wal|-shm|-journal)?$/;

/**
 * Records the local key-encryption key, the keys derived from it and the private half of every
 * signing key in the store (unsealed with that KEK) as secrets; answers how many signing keys.
 * A KEK wrapped by AWS KMS is not unwrapped again (that would be a KMS call of the test's), so its
 * keys are not recorded.
 */
export async function addStoreKeys(ledger: SecretLedger, location: StoreLocation): Promise<number> {
  const raw = await readLocalKek(location);
  if (raw === undefined) return 0;
  const kek = createKek(raw);
  ledger.addBytes('key-encryption key', raw);
  ledger.addBytes('client-secret hashing key', kek.deriveKey('client-secret'));
  ledger.addBytes('console session key', kek.deriveKey('console-session'));
  const keys = await readSigningPrivateKeys(location);
  for (const key of keys) ledger.addPrivateKey('signing private key', key);
  return keys.length;
}

/** The private half of every signing key in the store that its local KEK opens (a test plants one with). */
export async function readSigningPrivateKeys(location: StoreLocation): Promise<KeyObject[]> {
  const raw = await readLocalKek(location);
  if (raw === undefined) return [];
  const kek = createKek(raw);
  const store = await openStore(location);
  try {
    const keys: KeyObject[] = [];
    for (const record of await store.listSigningKeys()) {
      let der: Buffer;
      try {
        der = kek.open(record.encryptedPrivateKey, record.kid);
      } catch {
        continue; // Sealed under another KEK (a test planted it): nothing this KEK could leak.
      }
      keys.push(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
      der.fill(0);
    }
    return keys;
  } finally {
    await store.close();
  }
}

/** `GATEHOUSE_KEK` or the data dir's file, never generating one; undefined with a KMS-wrapped KEK. */
async function readLocalKek(location: StoreLocation): Promise<Buffer | undefined> {
  if (location.kmsKek !== undefined) return undefined;
  const text =
    location.kek ?? (await readFile(join(location.dataDir, KEK_FILE_NAME), 'utf8').catch(() => undefined));
  return text === undefined ? undefined : parseKek(text, 'the key-encryption key');
}

/** Everything the store holds, as places: SQLite files, PostgreSQL rows or DynamoDB items. */
export async function readStorePlaces(location: StoreLocation): Promise<Place[]> {
  switch (location.store) {
    case 'sqlite':
      return readSqliteFiles(location.dataDir);
    case 'postgres':
      return readPostgresRows(location.databaseUrl ?? '');
    case 'dynamodb':
      return readDynamoDbItems(location.dynamodbTable, location.dynamodbEndpoint);
  }
}

/** The SQLite files of a data directory (none when it is gone). */
export async function readSqliteFiles(dataDir: string): Promise<Place[]> {
  const names = await readdir(dataDir).catch(() => [] as string[]);
  const places: Place[] = [];
  for (const name of names.filter((n) => SQLITE_FILE.test(n)).sort()) {
    const bytes = await readFile(join(dataDir, name)).catch(() => undefined);
    if (bytes !== undefined) places.push({ name: `the store file ${name}`, bytes });
  }
  return places;
}

async function readPostgresRows(connectionString: string): Promise<Place[]> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const tables = await client.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
        ORDER BY 1, 2`,
    );
    const places: Place[] = [];
    for (const { schema, name } of tables.rows) {
      // A row as text: every column, bytea in hex.
      const rows = await client.query<{ row: string }>(
        `SELECT t::text AS row FROM ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(name)} t`,
      );
      rows.rows.forEach(({ row }, i) => {
        places.push({ name: `PostgreSQL table ${name}, row ${i}`, text: row });
      });
    }
    return places;
  } finally {
    await client.end();
  }
}

async function readDynamoDbItems(table: string, endpoint: string | undefined): Promise<Place[]> {
  const { DynamoDBClient, ScanCommand } = await import('@aws-sdk/client-dynamodb');
  const client = new DynamoDBClient(dynamoDbConnection(endpoint));
  try {
    const places: Place[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) {
        const text = JSON.stringify(item, (_key, value: unknown) =>
          value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value,
        );
        places.push({ name: `DynamoDB table ${table}, item ${places.length}`, text });
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return places;
  } finally {
    client.destroy();
  }
}
