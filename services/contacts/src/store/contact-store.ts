/**
 * The storage port of the contacts service. Back-ends: `sqlite-contact-store.ts` (embedded
 * default) and `dynamodb-contact-store.ts`; both pass `runContactStoreContract()`.
 *
 * Rules every back-end keeps:
 * - Writes are atomic and conditional: `replace` and `delete` with an `expectedVersion` succeed
 *   only when the stored version is that one (`PreconditionFailedError` otherwise), so of two
 *   writers holding the same version exactly one wins. Every write adds one to the version.
 * - Missing ids raise `ContactNotFoundError` on `replace`/`delete`; `get` answers null.
 * - `list` pages are at most `limit` long; `next` is present exactly when more contacts follow,
 *   and is the id of the last contact of the page, to be passed back as `after`. A contact that
 *   exists for the whole walk is returned exactly once; the order is the back-end's own (id order
 *   in SQLite, hash order in DynamoDB) but stable.
 * - Connectivity and throttling failures raise `StoreUnavailableError` (503, retryable).
 */
import type { ContactFields, StoredContact } from '../contacts/contact.ts';

/** One page of contacts. */
export interface ContactPage {
  items: StoredContact[];
  /** Id of the last item when more follow; absent on the last page. */
  next?: string;
}

/** Query for one page: `after` is a previous page's `next`. */
export interface ContactPageQuery {
  limit: number;
  after?: string;
}

/** The new state of a contact written by `replace`. */
export interface ContactReplacement extends ContactFields {
  updatedAt: number;
}

/** Where contacts live. */
export interface ContactStore {
  /** Stores a new contact (its `version` is 1); `ContactExistsError` if the id is taken. */
  insert(contact: StoredContact): Promise<void>;
  get(id: string): Promise<StoredContact | null>;
  list(query: ContactPageQuery): Promise<ContactPage>;
  /** Replaces name and checked, bumps the version; conditional on `expectedVersion` when given. */
  replace(id: string, replacement: ContactReplacement, expectedVersion?: number): Promise<StoredContact>;
  /** Deletes; conditional on `expectedVersion` when given. */
  delete(id: string, expectedVersion?: number): Promise<void>;
  /** Cheap liveness check. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
