import { describe, expect, it } from 'vitest';
import { CliUsageError } from '../errors.ts';
import {
  describeStoreLocation,
  isSameStoreLocation,
  redactUrl,
  resolveStoreLocation,
  type StoreLocationFlags,
} from './store-location.ts';

const NAMES: Record<keyof StoreLocationFlags, string> = {
  store: '--to',
  dataDir: '--to-data-dir',
  databaseUrl: '--to-database-url',
  dynamodbTable: '--to-dynamodb-table',
  dynamodbEndpoint: '--to-dynamodb-endpoint',
};

describe('store locations', () => {
  it('takes a flag over its variable, and the variable over the default', async () => {
    const env = { GATEHOUSE_DATABASE_URL: 'postgres://env@db/one', GATEHOUSE_DYNAMODB_TABLE: 'from_env' };
    const pg = await resolveStoreLocation({ store: 'postgres' }, env, NAMES);
    expect(pg.databaseUrl).toBe('postgres://env@db/one');
    const flagged = await resolveStoreLocation(
      { store: 'postgres', databaseUrl: 'postgres://flag@db/two' },
      env,
      NAMES,
    );
    expect(flagged.databaseUrl).toBe('postgres://flag@db/two');
    expect((await resolveStoreLocation({ store: 'dynamodb' }, env, NAMES)).dynamodbTable).toBe('from_env');
    expect((await resolveStoreLocation({ store: 'dynamodb' }, {}, NAMES)).dynamodbTable).toBe('gatehouse');
  });

  it('names the flag, or the variable and the flag to pass, in a usage error', async () => {
    await expect(
      resolveStoreLocation({ store: 'postgres', databaseUrl: 'mysql://x' }, {}, NAMES),
    ).rejects.toThrow(new CliUsageError('--to-database-url: must be a postgres:// or postgresql:// URL'));
    await expect(resolveStoreLocation({ store: 'postgres' }, {}, NAMES)).rejects.toThrow(
      /^GATEHOUSE_DATABASE_URL: is required with GATEHOUSE_STORE=postgres.*\(or pass --to-database-url\)$/,
    );
    await expect(
      resolveStoreLocation({ store: 'dynamodb', dynamodbTable: 'no spaces allowed' }, {}, NAMES),
    ).rejects.toThrow(/^--to-dynamodb-table: must be 3 to 255 characters/);
  });

  it('never shows a database password, nor a query that could carry one', () => {
    expect(redactUrl('postgres://user:s3cret@db:5432/gh?password=x&sslmode=require')).toBe(
      'postgres://user:***@db:5432/gh',
    );
    expect(redactUrl('not a url')).toBe('(unparsable URL)');
    const where = describeStoreLocation({
      store: 'postgres',
      dataDir: '/d',
      databaseUrl: 'postgres://u:pw@h/db',
      dynamodbTable: 'gatehouse',
      dynamodbEndpoint: undefined,
    });
    expect(where).toBe('PostgreSQL postgres://u:***@h/db');
  });

  it('recognises the same store behind different spellings, and tells different ones apart', async () => {
    const at = (databaseUrl: string) => resolveStoreLocation({ store: 'postgres', databaseUrl }, {}, NAMES);
    expect(
      isSameStoreLocation(await at('postgres://a@db/gh'), await at('postgresql://b:pw@db:5432/gh')),
    ).toBe(true);
    expect(isSameStoreLocation(await at('postgres://a@db/gh'), await at('postgres://a@db/other'))).toBe(
      false,
    );
    const ddb = (table: string) =>
      resolveStoreLocation({ store: 'dynamodb', dynamodbTable: table }, {}, NAMES);
    expect(isSameStoreLocation(await ddb('one'), await ddb('one'))).toBe(true);
    expect(isSameStoreLocation(await ddb('one'), await ddb('two'))).toBe(false);
    const sqlite = (dataDir: string) => resolveStoreLocation({ store: 'sqlite', dataDir }, {}, NAMES);
    expect(isSameStoreLocation(await sqlite('/var/a'), await sqlite('/var/a/'))).toBe(true);
  });
});
