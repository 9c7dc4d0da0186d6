/**
 * Where a store lives, for `gatehouse store init|migrate`: the back-end and its connection
 * (`GATEHOUSE_STORE`, `GATEHOUSE_DATA_DIR`, `GATEHOUSE_DATABASE_URL`, `GATEHOUSE_DYNAMODB_TABLE`,
 * `GATEHOUSE_DYNAMODB_ENDPOINT`), from flags that fall back to those variables. Validation is the
 * server's own (`loadConfig`), so a location the CLI accepts is one `gatehouse serve` accepts.
 */
import { join } from 'node:path';
import type { StoreKind } from '../../config.ts';
import { CliUsageError } from '../errors.ts';

/** A validated store location. */
export interface StoreLocation {
  store: StoreKind;
  /** Absolute; the SQLite file is `<dataDir>/gatehouse.db`. */
  dataDir: string;
  databaseUrl: string | undefined;
  dynamodbTable: string;
  dynamodbEndpoint: string | undefined;
}

/** The flags that name a location (one side of `migrate`, or `init`). */
export interface StoreLocationFlags {
  store?: string | undefined;
  dataDir?: string | undefined;
  databaseUrl?: string | undefined;
  dynamodbTable?: string | undefined;
  dynamodbEndpoint?: string | undefined;
}

const VARIABLES: Record<keyof StoreLocationFlags, string> = {
  store: 'GATEHOUSE_STORE',
  dataDir: 'GATEHOUSE_DATA_DIR',
  databaseUrl: 'GATEHOUSE_DATABASE_URL',
  dynamodbTable: 'GATEHOUSE_DYNAMODB_TABLE',
  dynamodbEndpoint: 'GATEHOUSE_DYNAMODB_ENDPOINT',
};

/**
 * Resolves a location: each flag, else its variable from `env`, else the server's default.
 * `flagNames` names each flag in errors (e.g. `--from-database-url`).
 * @throws CliUsageError naming the flag (or the variable) that is wrong.
 */
export async function resolveStoreLocation(
  flags: StoreLocationFlags,
  env: Record<string, string | undefined>,
  flagNames: Record<keyof StoreLocationFlags, string>,
): Promise<StoreLocation> {
  const { loadConfig, ConfigError } = await import('../../config.ts');
  const merged: Record<string, string | undefined> = {};
  const fromFlag = new Map<string, string>();
  for (const [key, variable] of Object.entries(VARIABLES) as [keyof StoreLocationFlags, string][]) {
    const value = flags[key] ?? env[variable];
    if (value !== undefined) merged[variable] = value;
    if (flags[key] !== undefined) fromFlag.set(variable, flagNames[key]);
  }
  try {
    const config = loadConfig(merged);
    return {
      store: config.store,
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
      dynamodbTable: config.dynamodbTable,
      dynamodbEndpoint: config.dynamodbEndpoint,
    };
  } catch (error) {
    if (error instanceof ConfigError) {
      const flag = fromFlag.get(error.variable);
      const message = error.message.slice(error.variable.length + 2);
      throw new CliUsageError(
        flag
          ? `${flag}: ${message}`
          : `${error.variable}: ${message} (or pass ${flagNames[keyOf(error.variable)]})`,
      );
    }
    throw error;
  }
}

function keyOf(variable: string): keyof StoreLocationFlags {
  const found = (Object.entries(VARIABLES) as [keyof StoreLocationFlags, string][]).find(
    ([, v]) => v === variable,
  );
  return found?.[0] ?? 'store';
}

/** A one-line description of a location, without any password. */
export function describeStoreLocation(location: StoreLocation): string {
  switch (location.store) {
    case 'sqlite':
      return `SQLite ${join(location.dataDir, 'gatehouse.db')}`;
    case 'postgres':
      return `PostgreSQL ${redactUrl(location.databaseUrl ?? '')}`;
    case 'dynamodb':
      return `DynamoDB table ${location.dynamodbTable}${location.dynamodbEndpoint ? ` at ${location.dynamodbEndpoint}` : ''}`;
  }
}

/** True when two locations are the same store (migrating onto itself would erase the source). */
export function isSameStoreLocation(a: StoreLocation, b: StoreLocation): boolean {
  if (a.store !== b.store) return false;
  switch (a.store) {
    case 'sqlite':
      return a.dataDir === b.dataDir;
    case 'postgres': {
      const [x, y] = [new URL(a.databaseUrl ?? ''), new URL(b.databaseUrl ?? '')];
      return (
        x.hostname === y.hostname && (x.port || '5432') === (y.port || '5432') && x.pathname === y.pathname
      );
    }
    case 'dynamodb':
      return a.dynamodbTable === b.dynamodbTable && a.dynamodbEndpoint === b.dynamodbEndpoint;
  }
}

/** A PostgreSQL URL with its password (and any query, which may carry one) left out. */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return '(unparsable URL)';
  const u = new URL(url);
  if (u.password !== '') u.password = '***';
  u.search = '';
  return u.toString();
}
