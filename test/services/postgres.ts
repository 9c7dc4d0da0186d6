/**
 * A throw-away PostgreSQL database for a test file, on the server at 127.0.0.1:5432 (trust
 * authentication on this kind of machine; `.ci/run` starts the cluster when it is down).
 *
 * The administrative connection uses the first of the roles `postgres` and `root` that the server
 * accepts; the database gets a random name and is dropped WITH (FORCE) by `drop()`, which also ends
 * any connection a test left open.
 */
import { randomBytes } from 'node:crypto';
import { Client, escapeIdentifier, escapeLiteral } from 'pg';

/** A database that exists until `drop()`. */
export interface TestDatabase {
  name: string;
  /** `postgres://user@127.0.0.1:5432/<name>` */
  connectionString: string;
  /** Runs one statement as the administrative user on the `postgres` database (e.g. pg_terminate_backend). */
  admin(sql: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  drop(): Promise<void>;
}

const HOST = '127.0.0.1';
const PORT = 5432;

/** Options of `createTestDatabase`. */
export interface TestDatabaseOptions {
  /** Name prefix (default `gatehouse_test`). */
  prefix?: string;
  /** An ICU locale (e.g. `en-US`) as the database's default collation, to test locale-proof ordering. */
  icuLocale?: string;
}

/** Creates an empty database named `<prefix>_<random>` and answers how to reach and drop it. */
export async function createTestDatabase({
  prefix = 'gatehouse_test',
  icuLocale,
}: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const user = await findAdminUser();
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const locale =
    icuLocale === undefined
      ? ''
      : ` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE ${escapeLiteral(icuLocale)}`;
  await withAdmin(user, (c) => c.query(`CREATE DATABASE ${escapeIdentifier(name)}${locale}`));
  let dropped = false;
  return {
    name,
    connectionString: `postgres://${encodeURIComponent(user)}@${HOST}:${PORT}/${name}`,
    admin: (sql, values = []) => withAdmin(user, async (c) => (await c.query(sql, values)).rows),
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdmin(user, async (c) => {
        // Pools that were just ended may still be closing their connections: give them a moment to
        // go on their own, since a connection FORCE terminates while its client is ending reports an
        // error nobody listens to any more (an unhandled error in the test run).
        for (let i = 0; i < 40; i++) {
          const { rows } = await c.query<{ n: string }>(
            'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
            [name],
          );
          if (Number(rows[0]?.n ?? 0) === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        await c.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`);
      });
    },
  };
}

let adminUser: Promise<string> | undefined;

function findAdminUser(): Promise<string> {
  adminUser ??= (async () => {
    const candidates = ['postgres', 'root'];
    const failures: string[] = [];
    for (const user of candidates) {
      try {
        await withAdmin(user, (c) => c.query('SELECT 1'));
        return user;
      } catch (err) {
        failures.push(`${user}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    adminUser = undefined;
    throw new Error(
      `PostgreSQL at ${HOST}:${PORT} accepts none of ${candidates.join(', ')} (${failures.join('; ')}). ` +
        'Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    );
  })();
  return adminUser;
}

async function withAdmin<T>(user: string, work: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({
    host: HOST,
    port: PORT,
    user,
    database: 'postgres',
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
