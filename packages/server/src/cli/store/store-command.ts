/**
 * `gatehouse store init|migrate`: work on a store directly (not through a server). `init` makes a
 * store ready (DynamoDB table, or schema migrations); `migrate` copies a whole installation from
 * one store to another and verifies the copy.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Kek } from '../../keys/kek.ts';
import type { Store } from '../../store/store.ts';
import type { CliContext } from '../context.ts';
import { CliError, CliUsageError } from '../errors.ts';
import { formatDetails, indent } from '../output/table.ts';
import { writeJson } from '../output/writer.ts';
import { initStore, openStoreAt } from './init-store.ts';
import { KIND_LABELS, migrateStore, StoreMigrationError } from './migrate-store.ts';
import {
  describeStoreLocation,
  isSameStoreLocation,
  resolveStoreLocation,
  type StoreLocation,
  type StoreLocationFlags,
} from './store-location.ts';

const STORE_KINDS = ['sqlite', 'postgres', 'dynamodb'] as const;

/** Raised when a store cannot be reached or refuses (wrong credentials, table missing). */
export class CliStoreError extends CliError {
  override readonly code = 'ERR_CLI_STORE';
}

function parseBatchSize(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 10_000) {
    throw new InvalidArgumentError('must be a whole number from 1 to 10000');
  }
  return Number(text);
}

/** The first line of a store's error, prefixed by where it happened; never a stack trace. */
function storeFailure(where: string, error: unknown): CliError {
  if (error instanceof CliError) return error;
  const e = error as { message?: unknown; code?: unknown; name?: unknown };
  const text = typeof e?.message === 'string' && e.message !== '' ? e.message : String(e?.name ?? error);
  const code = typeof e?.code === 'string' && !text.includes(e.code) ? ` (${e.code})` : '';
  return new CliStoreError(`${where}: ${text.split('\n')[0]}${code}`);
}

function addLocationOptions(command: Command, prefix: '' | 'from-' | 'to-', what: string): Command {
  const env = prefix === '' ? 'env ' : 'default: env ';
  return command
    .addOption(
      new Option(
        `--${prefix}data-dir <path>`,
        `${what}: SQLite data directory (${env}GATEHOUSE_DATA_DIR, else ./.gatehouse)`,
      ),
    )
    .addOption(
      new Option(`--${prefix}database-url <url>`, `${what}: PostgreSQL URL (${env}GATEHOUSE_DATABASE_URL)`),
    )
    .addOption(
      new Option(
        `--${prefix}dynamodb-table <name>`,
        `${what}: DynamoDB table (${env}GATEHOUSE_DYNAMODB_TABLE, else gatehouse)`,
      ),
    )
    .addOption(
      new Option(
        `--${prefix}dynamodb-endpoint <url>`,
        `${what}: DynamoDB endpoint, e.g. DynamoDB Local (${env}GATEHOUSE_DYNAMODB_ENDPOINT, else AWS)`,
      ),
    );
}

function flagNames(
  prefix: '' | 'from-' | 'to-',
  storeFlag: string,
): Record<keyof StoreLocationFlags, string> {
  return {
    store: storeFlag,
    dataDir: `--${prefix}data-dir`,
    databaseUrl: `--${prefix}database-url`,
    dynamodbTable: `--${prefix}dynamodb-table`,
    dynamodbEndpoint: `--${prefix}dynamodb-endpoint`,
  };
}

function addInit(store: Command, context: CliContext): void {
  const command = store
    .command('init')
    .description(
      'make a store ready: create the DynamoDB table (keys, GSIs, TTL) or apply PostgreSQL/SQLite schema migrations; safe to repeat',
    )
    .addOption(
      new Option('--store <kind>', 'which back-end (env GATEHOUSE_STORE, default sqlite)').choices(
        STORE_KINDS,
      ),
    );
  addLocationOptions(command, '', 'where');
  command.option('--json', 'print the result as JSON');
  command.addHelpText(
    'after',
    `
The flags default to the GATEHOUSE_* variables \`gatehouse serve\` reads, so in a server's
environment \`gatehouse store init\` prepares exactly the store that server will use.
PostgreSQL: the database must exist; init creates the tables. Servers also apply migrations
on start, under an advisory lock; DynamoDB servers do not create their table.

Examples:
  $ gatehouse store init --store dynamodb --dynamodb-endpoint http://127.0.0.1:8000
  $ GATEHOUSE_STORE=dynamodb GATEHOUSE_DYNAMODB_TABLE=gatehouse gatehouse store init
  $ gatehouse store init --store postgres --database-url postgres://gatehouse@db:5432/gatehouse --json`,
  );
  command.action(async (flags: StoreLocationFlags & { json?: boolean }) => {
    const location = await resolveStoreLocation(flags, context.serverEnv(), flagNames('', '--store'));
    const where = describeStoreLocation(location);
    const result = await initStore(location, (line) => context.writer.err(line)).catch((error: unknown) => {
      throw storeFailure(where, error);
    });
    if (flags.json) {
      writeJson(context.writer, { store: result.store, location: result.location, outcome: result.outcome });
      return;
    }
    context.writer.out(
      `${where}: ${result.outcome === 'created' ? 'created and ready' : 'ready (nothing else to do)'}`,
    );
  });
}

interface MigrateFlags {
  from: (typeof STORE_KINDS)[number];
  to: (typeof STORE_KINDS)[number];
  fromDataDir?: string;
  fromDatabaseUrl?: string;
  fromDynamodbTable?: string;
  fromDynamodbEndpoint?: string;
  toDataDir?: string;
  toDatabaseUrl?: string;
  toDynamodbTable?: string;
  toDynamodbEndpoint?: string;
  kekDir?: string;
  force?: boolean;
  batchSize?: number;
  json?: boolean;
}

/** The KEK from GATEHOUSE_KEK, else the `kek` file of the data directory; never generated here. */
async function loadMigrationKek(
  flags: MigrateFlags,
  env: Record<string, string | undefined>,
  source: StoreLocation,
  target: StoreLocation,
): Promise<{ kek: Kek; from: string }> {
  const { loadKek, KEK_FILE_NAME, KekError } = await import('../../keys/kek.ts');
  const kekEnv = env.GATEHOUSE_KEK?.trim();
  try {
    if (kekEnv) return { kek: await loadKek({ dataDir: '.', kekEnv }), from: 'GATEHOUSE_KEK' };
    const dir =
      flags.kekDir ??
      (source.store === 'sqlite'
        ? source.dataDir
        : target.store === 'sqlite'
          ? target.dataDir
          : source.dataDir);
    const file = join(dir, KEK_FILE_NAME);
    const exists = await access(file).then(
      () => true,
      () => false,
    );
    if (!exists) {
      throw new CliUsageError(
        `no key-encryption key: GATEHOUSE_KEK is unset and ${file} does not exist. ` +
          'Set GATEHOUSE_KEK, or --kek-dir to the data directory of the servers that use the source store',
      );
    }
    return { kek: await loadKek({ dataDir: dir }), from: file };
  } catch (error) {
    if (error instanceof KekError) throw new CliUsageError(error.message);
    throw error;
  }
}

/** GATEHOUSE_AUDIT_RETENTION_DAYS (default 90) in ms, validated as the server does. */
async function auditRetentionMs(env: Record<string, string | undefined>): Promise<number> {
  const { loadConfig, ConfigError } = await import('../../config.ts');
  try {
    const days = loadConfig({
      GATEHOUSE_AUDIT_RETENTION_DAYS: env.GATEHOUSE_AUDIT_RETENTION_DAYS,
    }).auditRetentionDays;
    return days * 86_400_000;
  } catch (error) {
    if (error instanceof ConfigError) throw new CliUsageError(error.message);
    throw error;
  }
}

function addMigrate(store: Command, context: CliContext): void {
  const command = store
    .command('migrate')
    .description(
      'copy a whole installation (APIs, clients with hashed secrets, grants, sealed signing keys, deny-list, cut-offs) to another store, then verify it',
    )
    .addOption(new Option('--from <kind>', 'the source back-end').choices(STORE_KINDS).makeOptionMandatory())
    .addOption(new Option('--to <kind>', 'the target back-end').choices(STORE_KINDS).makeOptionMandatory());
  addLocationOptions(command, 'from-', 'source');
  addLocationOptions(command, 'to-', 'target');
  command
    .option(
      '--kek-dir <path>',
      'data directory holding the `kek` file, when GATEHOUSE_KEK is unset (default: the SQLite side’s data directory, else GATEHOUSE_DATA_DIR)',
    )
    .option('--force', 'erase a target store that is not empty before copying (deletes everything in it)')
    .addOption(
      new Option('--batch-size <n>', 'records per read and write batch (default 500)').argParser(
        parseBatchSize,
      ),
    )
    .option('--json', 'print the result as JSON');
  command.addHelpText(
    'after',
    `
Each side's flags fall back to the GATEHOUSE_* variable of the same name (GATEHOUSE_DATA_DIR,
GATEHOUSE_DATABASE_URL, GATEHOUSE_DYNAMODB_TABLE, GATEHOUSE_DYNAMODB_ENDPOINT).

Signing keys are copied still sealed, and client secret hashes depend on the key-encryption key
too: the target's servers must use the KEK of the source's servers. The command checks that the
KEK it is given (GATEHOUSE_KEK, else <kek-dir>/kek) opens every source signing key, and stops
before writing anything when it does not.

Stop the servers (or administrative changes) on the source while copying. A target that holds
anything is refused unless --force. A DynamoDB target table must exist (gatehouse store init);
PostgreSQL and SQLite targets are migrated to the current schema first. Progress goes to stderr.

Examples:
  $ gatehouse store migrate --from sqlite --from-data-dir /var/lib/gatehouse \\
      --to postgres --to-database-url postgres://gatehouse@db:5432/gatehouse
  $ gatehouse store init --store dynamodb --dynamodb-table gatehouse
  $ GATEHOUSE_KEK=... gatehouse store migrate --from postgres --from-database-url postgres://db/gatehouse \\
      --to dynamodb --to-dynamodb-table gatehouse --json`,
  );
  command.action(async (flags: MigrateFlags) => {
    const env = context.serverEnv();
    const pick = (prefix: 'from' | 'to'): StoreLocationFlags => ({
      store: flags[prefix],
      dataDir: flags[`${prefix}DataDir`],
      databaseUrl: flags[`${prefix}DatabaseUrl`],
      dynamodbTable: flags[`${prefix}DynamodbTable`],
      dynamodbEndpoint: flags[`${prefix}DynamodbEndpoint`],
    });
    const source = await resolveStoreLocation(pick('from'), env, flagNames('from-', '--from'));
    const target = await resolveStoreLocation(pick('to'), env, flagNames('to-', '--to'));
    if (isSameStoreLocation(source, target)) {
      throw new CliUsageError(
        `the source and the target are the same store (${describeStoreLocation(source)}); name another target`,
      );
    }
    const { kek, from: kekFrom } = await loadMigrationKek(flags, env, source, target);
    const log = (line: string) => context.writer.err(line);
    const fromWhere = describeStoreLocation(source);
    const toWhere = describeStoreLocation(target);
    log(`from ${fromWhere}`);
    log(`to   ${toWhere}`);
    log(`key-encryption key from ${kekFrom}`);

    const opened: Store[] = [];
    const open = async (location: StoreLocation, where: string): Promise<Store> => {
      try {
        const store = await openStoreAt(location);
        opened.push(store);
        await store.migrate();
        return store;
      } catch (error) {
        throw storeFailure(where, error);
      }
    };
    try {
      const sourceStore = await open(source, fromWhere);
      const targetStore = await open(target, toWhere);
      const report = await migrateStore({
        source: sourceStore,
        target: targetStore,
        kek,
        force: flags.force === true,
        auditRetentionMs: await auditRetentionMs(env),
        ...(flags.batchSize ? { batchSize: flags.batchSize } : {}),
        progress: log,
      }).catch((error: unknown) => {
        if (error instanceof StoreMigrationError) throw error;
        throw storeFailure('copying', error);
      });
      if (flags.json) {
        writeJson(context.writer, {
          from: { store: source.store, location: fromWhere },
          to: { store: target.store, location: toWhere },
          copied: report.copied,
          audit_events: report.audit.auditEvents,
          token_usage_rows: report.audit.tokenUsage,
          revocation_sequence: report.revocationSequence,
          erased_target: report.erased,
          kek_id: kek.id,
          kek_checked_keys: report.kekCheckedKeys,
          verified: report.verified,
        });
        return;
      }
      context.writer.out(
        [
          `Copied and verified: ${fromWhere} -> ${toWhere}`,
          indent(
            formatDetails(
              Object.entries(report.copied).map(([k, n]) => [KIND_LABELS[k as keyof typeof KIND_LABELS], n]),
            ),
          ),
          `Point the servers at the target (GATEHOUSE_STORE=${target.store}) with the same key-encryption key (id ${kek.id}).`,
        ].join('\n'),
      );
    } finally {
      for (const s of opened) await s.close().catch(() => {});
    }
  });
}

/** Builds the `store` command. */
export function createStoreCommand(context: CliContext): Command {
  const store = new Command('store')
    .description('prepare a store (init) or copy a whole installation between stores (migrate)')
    .summary('prepare or migrate the store');
  addInit(store, context);
  addMigrate(store, context);
  return store;
}
