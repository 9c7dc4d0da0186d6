/**
 * The contacts use cases over the `ContactStore` port: pure logic plus calls to the port, no
 * transport. Both the HTTP server and the Lambda handlers drive this through `contacts-api.ts`.
 */
import { ContactNotFoundError, PreconditionFailedError, ValidationError } from '../problems/errors.ts';
import type { ContactStore } from '../store/contact-store.ts';
import { type Contact, type ContactFields, type StoredContact, toContact } from './contact.ts';
import { createContactId, isContactId } from './contact-id.ts';
import { formatCursor, parseCursor } from './cursor.ts';
import type { IfMatch } from './etag.ts';

/** Page sizes of `GET /contacts`. */
export const LIST_LIMITS = { min: 1, max: 100, default: 20 } as const;

/** One page as the API answers it. */
export interface ContactList {
  items: Contact[];
  cursor?: string;
}

/** The contacts use cases. */
export interface ContactsService {
  create(fields: ContactFields): Promise<StoredContact>;
  list(query: { limit?: number; cursor?: string }): Promise<ContactList>;
  get(id: string): Promise<StoredContact>;
  /** Full replacement of the writable fields; conditional when `ifMatch` is given. */
  replace(id: string, fields: ContactFields, ifMatch?: IfMatch): Promise<StoredContact>;
  delete(id: string, ifMatch?: IfMatch): Promise<void>;
}

/** Options of `createContactsService`; `now` and `newId` exist for deterministic tests. */
export interface ContactsServiceOptions {
  store: ContactStore;
  now?: () => number;
  newId?: (now: number) => string;
}

/** Creates the contacts use cases over a store. */
export function createContactsService(options: ContactsServiceOptions): ContactsService {
  const { store, now = Date.now, newId = createContactId } = options;

  /**
   * Resolves `If-Match` into the version a conditional write must find, or undefined for an
   * unconditional write. A missing contact is a 404 whatever the precondition: RFC 9110 section
   * 13.2.1 has preconditions ignored when the answer without them would not be 2xx.
   */
  async function expectedVersion(id: string, ifMatch: IfMatch | undefined): Promise<number | undefined> {
    if (ifMatch === undefined || ifMatch.any) return undefined;
    if (ifMatch.versions.length === 1) return ifMatch.versions[0];
    const current = await store.get(id);
    if (!current) throw new ContactNotFoundError(id);
    if (!ifMatch.versions.includes(current.version)) throw new PreconditionFailedError();
    return current.version;
  }

  function assertId(id: string): void {
    if (!isContactId(id)) throw new ContactNotFoundError(id);
  }

  return {
    async create(fields) {
      const at = now();
      const contact: StoredContact = { id: newId(at), ...fields, createdAt: at, updatedAt: at, version: 1 };
      await store.insert(contact);
      return contact;
    },

    async list(query) {
      const limit = query.limit ?? LIST_LIMITS.default;
      if (!Number.isInteger(limit) || limit < LIST_LIMITS.min || limit > LIST_LIMITS.max) {
        throw new ValidationError([
          {
            parameter: 'limit',
            detail: `must be a whole number from ${LIST_LIMITS.min} to ${LIST_LIMITS.max}`,
          },
        ]);
      }
      const after = query.cursor === undefined ? undefined : parseCursor(query.cursor);
      const page = await store.list(after === undefined ? { limit } : { limit, after });
      const out: ContactList = { items: page.items.map(toContact) };
      if (page.next !== undefined) out.cursor = formatCursor(page.next);
      return out;
    },

    async get(id) {
      assertId(id);
      const contact = await store.get(id);
      if (!contact) throw new ContactNotFoundError(id);
      return contact;
    },

    async replace(id, fields, ifMatch) {
      assertId(id);
      const version = await expectedVersion(id, ifMatch);
      return store.replace(id, { ...fields, updatedAt: now() }, version);
    },

    async delete(id, ifMatch) {
      assertId(id);
      const version = await expectedVersion(id, ifMatch);
      await store.delete(id, version);
    },
  };
}
