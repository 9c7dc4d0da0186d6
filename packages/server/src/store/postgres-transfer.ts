/**
 * `StoreTransfer` on PostgreSQL: keyset-paged exports by primary key (ids compare in byte order,
 * COLLATE "C"), and imports of one batch per statement: the batch travels as one jsonb array that
 * `jsonb_to_recordset` turns into rows, so 1,000 records cost one round trip.
 */
import { DatabaseError, type Pool } from 'pg';
import { SQL_ERASE_ORDER, SQL_TRANSFER_TABLES, type SqlTransferTable } from './sql-transfer-tables.ts';
import { StoreConflictError, StoreNotFoundError } from './store.ts';
import type { StoreTransfer, TransferKind, TransferRecords } from './store-transfer.ts';

/** Creates the transfer methods over the store's pool (the schema must be migrated). */
export function createPostgresTransfer(pool: Pool): StoreTransfer {
  return {
    async *exportRecords<K extends TransferKind>(kind: K, batchSize: number) {
      const table = SQL_TRANSFER_TABLES[kind] as unknown as SqlTransferTable<TransferKind>;
      const names = table.columns.map((c) => c.name).join(', ');
      const key = table.key.join(', ');
      const limit = Math.max(1, Math.trunc(batchSize));
      let last: unknown[] | undefined;
      for (;;) {
        const where = last ? `WHERE (${key}) > (${table.key.map((_, i) => `$${i + 2}`).join(', ')})` : '';
        const { rows } = await pool.query<Record<string, unknown>>(
          `SELECT ${names} FROM ${table.table} ${where} ORDER BY ${key} LIMIT $1`,
          [limit, ...(last ?? [])],
        );
        if (rows.length === 0) return;
        yield rows.map((r) => table.fromRow(r)) as TransferRecords[K][];
        if (rows.length < limit) return;
        const end = rows[rows.length - 1]!;
        last = table.key.map((k) => end[k]);
      }
    },

    async importRecords<K extends TransferKind>(kind: K, records: readonly TransferRecords[K][]) {
      if (records.length === 0) return;
      const table = SQL_TRANSFER_TABLES[kind] as unknown as SqlTransferTable<TransferKind>;
      const names = table.columns.map((c) => c.name).join(', ');
      const types = table.columns.map((c) => `${c.name} ${c.type}`).join(', ');
      const rows = records.map((r) => table.toRow(r));
      try {
        await pool.query(
          `INSERT INTO ${table.table} (${names}) SELECT ${names} FROM jsonb_to_recordset($1::jsonb) AS x(${types})`,
          [JSON.stringify(rows)],
        );
      } catch (err) {
        if (err instanceof DatabaseError && err.code === '23503')
          throw new StoreNotFoundError(`a ${kind} refers to a record that is not in the store`);
        if (err instanceof DatabaseError && err.code === '23505')
          throw new StoreConflictError(`a ${kind} being imported is already in the store`);
        throw err;
      }
    },

    async advanceRevocationSequence(seq) {
      await pool.query("UPDATE counters SET value = GREATEST(value, $1) WHERE name = 'revocations'", [
        Math.trunc(seq),
      ]);
    },

    async eraseAll() {
      const conn = await pool.connect();
      let broken: Error | undefined;
      try {
        await conn.query('BEGIN');
        for (const t of SQL_ERASE_ORDER) await conn.query(`DELETE FROM ${t}`);
        await conn.query('COMMIT');
      } catch (err) {
        await conn.query('ROLLBACK').catch((e: unknown) => {
          broken = e instanceof Error ? e : new Error(String(e));
        });
        throw err;
      } finally {
        conn.release(broken);
      }
    },
  };
}
