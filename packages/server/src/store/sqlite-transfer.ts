/**
 * `StoreTransfer` on SQLite: keyset-paged exports by primary key, and imports of one batch per
 * IMMEDIATE transaction (a failed batch leaves nothing of itself behind).
 */
import type { Database as Db } from 'better-sqlite3';
import { SQL_ERASE_ORDER, SQL_TRANSFER_TABLES, type SqlTransferTable } from './sql-transfer-tables.ts';
import { StoreConflictError, StoreNotFoundError } from './store.ts';
import type { StoreTransfer, TransferKind, TransferRecords } from './store-transfer.ts';

/** Creates the transfer methods over an open, migrated SQLite database. */
export function createSqliteTransfer(db: Db): StoreTransfer {
  const encode = (table: SqlTransferTable<TransferKind>, row: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const c of table.columns) {
      const v = row[c.name];
      out[c.name] =
        v === null || v === undefined
          ? null
          : c.type === 'jsonb'
            ? JSON.stringify(v)
            : c.type === 'boolean'
              ? v
                ? 1
                : 0
              : v;
    }
    return out;
  };
  const decode = (table: SqlTransferTable<TransferKind>, row: Record<string, unknown>) => {
    const out: Record<string, unknown> = { ...row };
    for (const c of table.columns) {
      const v = row[c.name];
      if (v === null || v === undefined) continue;
      if (c.type === 'jsonb') out[c.name] = JSON.parse(String(v));
      else if (c.type === 'boolean') out[c.name] = v === 1;
    }
    return out;
  };

  return {
    async *exportRecords<K extends TransferKind>(kind: K, batchSize: number) {
      const table = SQL_TRANSFER_TABLES[kind] as unknown as SqlTransferTable<TransferKind>;
      const names = table.columns.map((c) => c.name).join(', ');
      const key = table.key.join(', ');
      const limit = Math.max(1, Math.trunc(batchSize));
      const first = db.prepare(`SELECT ${names} FROM ${table.table} ORDER BY ${key} LIMIT ?`);
      const after = db.prepare(
        `SELECT ${names} FROM ${table.table} WHERE (${key}) > (${table.key.map(() => '?').join(', ')})
         ORDER BY ${key} LIMIT ?`,
      );
      let last: unknown[] | undefined;
      for (;;) {
        const rows = (last ? after.all(...last, limit) : first.all(limit)) as Record<string, unknown>[];
        if (rows.length === 0) return;
        yield rows.map((r) => table.fromRow(decode(table, r))) as TransferRecords[K][];
        if (rows.length < limit) return;
        const end = rows[rows.length - 1]!;
        last = table.key.map((k) => end[k]);
      }
    },

    async importRecords<K extends TransferKind>(kind: K, records: readonly TransferRecords[K][]) {
      if (records.length === 0) return;
      const table = SQL_TRANSFER_TABLES[kind] as unknown as SqlTransferTable<TransferKind>;
      const names = table.columns.map((c) => c.name);
      const insert = db.prepare(
        `INSERT INTO ${table.table} (${names.join(', ')}) VALUES (${names.map((n) => `@${n}`).join(', ')})`,
      );
      const run = db.transaction(() => {
        for (const r of records) insert.run(encode(table, table.toRow(r)));
      });
      try {
        run.immediate();
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY')
          throw new StoreNotFoundError(`a ${kind} refers to a record that is not in the store`);
        if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT'))
          throw new StoreConflictError(`a ${kind} being imported is already in the store`);
        throw err;
      }
    },

    async advanceRevocationSequence(seq) {
      db.prepare("UPDATE counters SET value = max(value, ?) WHERE name = 'revocations'").run(Math.trunc(seq));
    },

    async eraseAll() {
      db.transaction(() => {
        for (const t of SQL_ERASE_ORDER) db.prepare(`DELETE FROM ${t}`).run();
      }).immediate();
    },
  };
}
