/**
 * SQLite back-end of `ContactStore` (better-sqlite3, WAL). One table keyed by the UUIDv7 id, so id
 * order is creation order and paging is a primary-key range scan (`id > ?`).
 *
 * better-sqlite3 is synchronous: a primary-key read or write takes microseconds in WAL mode, well
 * below the cost of an async hop to a worker, so it runs on the event loop. Conditional writes are
 * single statements (`... WHERE id = ? AND version = ?`), atomic even across processes that
 * share the file.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { StoredContact } from '../contacts/contact.ts';
import {
  ContactExistsError,
  ContactNotFoundError,
  PreconditionFailedError,
  StoreUnavailableError,
} from '../problems/errors.ts';
import type { ContactPage, ContactPageQuery, ContactReplacement, ContactStore } from './contact-store.ts';

/** Name of the database file inside `CONTACTS_DATA_DIR`. */
export const SQLITE_FILE_NAME = 'contacts.db';

interface ContactRow {
  id: string;
  name: string;
  checked: number;
  created_at: number;
  updated_at: number;
  version: number;
}

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE contacts (
     id TEXT PRIMARY KEY NOT NULL,
     name TEXT NOT NULL,
     checked INTEGER NOT NULL CHECK (checked IN (0, 1)),
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL,
     version INTEGER NOT NULL CHECK (version >= 1)
   ) WITHOUT ROWID`,
];

const COLUMNS = 'id, name, checked, created_at, updated_at, version';

/** Options of `createSqliteContactStore`: a file path, or `:memory:`. */
export interface SqliteContactStoreOptions {
  file: string;
}

/** Opens (and migrates) the SQLite contacts store. Synchronous I/O here is start-up only. */
export function createSqliteContactStore(options: SqliteContactStoreOptions): ContactStore {
  if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);

  const insert = db.prepare<[string, string, number, number, number, number]>(
    `INSERT INTO contacts (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const get = db.prepare<[string], ContactRow>(`SELECT ${COLUMNS} FROM contacts WHERE id = ?`);
  const first = db.prepare<[number], ContactRow>(`SELECT ${COLUMNS} FROM contacts ORDER BY id LIMIT ?`);
  const after = db.prepare<[string, number], ContactRow>(
    `SELECT ${COLUMNS} FROM contacts WHERE id > ? ORDER BY id LIMIT ?`,
  );
  const replace = db.prepare<[string, number, number, string, number | null, number | null], ContactRow>(
    `UPDATE contacts SET name = ?, checked = ?, updated_at = ?, version = version + 1
     WHERE id = ? AND (? IS NULL OR version = ?) RETURNING ${COLUMNS}`,
  );
  const remove = db.prepare<[string, number | null, number | null]>(
    'DELETE FROM contacts WHERE id = ? AND (? IS NULL OR version = ?)',
  );
  const exists = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM contacts WHERE id = ?');

  /** After a conditional write touched nothing: was the id missing, or the version different? */
  function missOrConflict(id: string): Error {
    return exists.get(id) ? new PreconditionFailedError() : new ContactNotFoundError(id);
  }

  return {
    async insert(c) {
      run(() => {
        try {
          insert.run(c.id, c.name, c.checked ? 1 : 0, c.createdAt, c.updatedAt, c.version);
        } catch (error) {
          if (sqliteCode(error) === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new ContactExistsError(c.id);
          throw error;
        }
      });
    },

    async get(id) {
      const row = run(() => get.get(id));
      return row ? fromRow(row) : null;
    },

    async list(query: ContactPageQuery): Promise<ContactPage> {
      // One extra row tells whether another page follows, so `next` never leads to an empty page.
      const rows = run(() =>
        query.after === undefined ? first.all(query.limit + 1) : after.all(query.after, query.limit + 1),
      );
      const items = rows.slice(0, query.limit).map(fromRow);
      const page: ContactPage = { items };
      if (rows.length > query.limit) page.next = items[items.length - 1]!.id;
      return page;
    },

    async replace(id: string, r: ContactReplacement, expectedVersion?: number) {
      const v = expectedVersion ?? null;
      const row = run(() => replace.get(r.name, r.checked ? 1 : 0, r.updatedAt, id, v, v));
      if (!row) throw missOrConflict(id);
      return fromRow(row);
    },

    async delete(id, expectedVersion) {
      const v = expectedVersion ?? null;
      const result = run(() => remove.run(id, v, v));
      if (result.changes === 0) throw missOrConflict(id);
    },

    async ping() {
      run(() => db.prepare('SELECT 1').get());
    },

    async close() {
      if (db.open) db.close();
    },
  };
}

function migrate(db: Database.Database): void {
  const current = Number(db.pragma('user_version', { simple: true }));
  db.transaction(() => {
    for (let i = current; i < MIGRATIONS.length; i++) db.exec(MIGRATIONS[i]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}

function fromRow(row: ContactRow): StoredContact {
  return {
    id: row.id,
    name: row.name,
    checked: row.checked === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  };
}

function sqliteCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** Runs a statement; a locked or unreadable database is a retryable 503, not a 500. */
function run<T>(statement: () => T): T {
  try {
    return statement();
  } catch (error) {
    const code = sqliteCode(error) ?? '';
    if (/^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL)/.test(code))
      throw new StoreUnavailableError({ cause: error });
    throw error;
  }
}
