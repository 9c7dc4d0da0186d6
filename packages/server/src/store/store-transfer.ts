/**
 * The part of the `Store` port that copies a whole installation from one back-end to another
 * (`gatehouse store migrate`): every record verbatim, with its times, its change sequence number,
 * hashed secrets and sealed private keys, and nothing recomputed on the way.
 *
 * Rules every back-end keeps:
 * - `exportRecords` yields every stored record of a kind (expired revocation entries not yet pruned
 *   included), in batches, in no promised order. It reads while others may write; `migrate` runs
 *   against a quiet source and verifies the copy afterwards.
 * - `importRecords` writes records as they are: no cut-off, no new sequence number, no timestamps of
 *   its own. Records that reference others (grants) come after what they reference. It is meant
 *   for an empty store: a record already present raises StoreConflictError (SQLite, PostgreSQL)
 *   or is overwritten (DynamoDB); either way the verification that follows reports it.
 * - The revocation change sequence never goes back: `eraseAll` keeps it, and
 *   `advanceRevocationSequence` only moves it forward, so an authorizer that followed the source's
 *   feed with cursor n never misses a change the target numbers later.
 */
import type {
  ClientGrantRecord,
  ClientRecord,
  CutoffRecord,
  ResourceServerRecord,
  RevokedKeyRecord,
  RevokedTokenRecord,
  SigningKeyRecord,
} from './store.ts';

/** A used `private_key_jwt` assertion id, kept until `expiresAt` (ms). */
export interface UsedAssertionRecord {
  clientId: string;
  jti: string;
  expiresAt: number;
}

/** Each kind of record a store holds, and its shape. */
export interface TransferRecords {
  resourceServer: ResourceServerRecord;
  client: ClientRecord;
  clientGrant: ClientGrantRecord;
  signingKey: SigningKeyRecord;
  revokedToken: RevokedTokenRecord;
  cutoff: CutoffRecord;
  revokedKey: RevokedKeyRecord;
  usedAssertion: UsedAssertionRecord;
}

export type TransferKind = keyof TransferRecords;

/** Every kind, in the order an import must follow (what is referenced before what references it). */
export const TRANSFER_KINDS: readonly TransferKind[] = [
  'resourceServer',
  'client',
  'clientGrant',
  'signingKey',
  'revokedToken',
  'cutoff',
  'revokedKey',
  'usedAssertion',
];

/** The identity of a record within its kind, the same on every back-end. */
export function transferRecordKey<K extends TransferKind>(kind: K, record: TransferRecords[K]): string {
  const r = record as unknown as Record<string, unknown>;
  switch (kind) {
    case 'resourceServer':
    case 'clientGrant':
      return String(r.id);
    case 'client':
      return String(r.clientId);
    case 'signingKey':
    case 'revokedKey':
      return String(r.kid);
    case 'revokedToken':
      return `${String(r.audience)}\u0000${String(r.jti)}`;
    case 'cutoff':
      return `${String(r.clientId)}\u0000${r.audience === null ? '' : String(r.audience)}`;
    default:
      return `${String(r.clientId)}\u0000${String(r.jti)}`;
  }
}

/** Whole-store export and import, implemented by every back-end. */
export interface StoreTransfer {
  /** Every record of `kind`, in batches of at most `batchSize` (>= 1). */
  exportRecords<K extends TransferKind>(kind: K, batchSize: number): AsyncIterable<TransferRecords[K][]>;
  /** Writes `records` verbatim (see the rules above); several may go in one request or transaction. */
  importRecords<K extends TransferKind>(kind: K, records: readonly TransferRecords[K][]): Promise<void>;
  /** Moves the revocation change sequence to `seq` when it is below; never back. */
  advanceRevocationSequence(seq: number): Promise<void>;
  /** Deletes every record of every kind; the change sequence stays where it is. */
  eraseAll(): Promise<void>;
}
