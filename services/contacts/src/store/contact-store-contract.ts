/**
 * The contract every `ContactStore` back-end passes. A back-end's test file calls
 * `runContactStoreContract(name, open)` where `open` gives a fresh, empty store per test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredContact } from '../contacts/contact.ts';
import { createContactId } from '../contacts/contact-id.ts';
import { ContactExistsError, ContactNotFoundError, PreconditionFailedError } from '../problems/errors.ts';
import type { ContactStore } from './contact-store.ts';

/** A fresh empty store and how to dispose of it. */
export interface OpenedContactStore {
  store: ContactStore;
  dispose?: () => Promise<void>;
}

let clock = 1_700_000_000_000;

function newContact(name: string, checked = false): StoredContact {
  const at = clock++;
  return { id: createContactId(at), name, checked, createdAt: at, updatedAt: at, version: 1 };
}

/** Defines the shared contract tests for one back-end. */
export function runContactStoreContract(name: string, open: () => Promise<OpenedContactStore>): void {
  describe(`ContactStore contract: ${name}`, () => {
    const opened: OpenedContactStore[] = [];
    async function fresh(): Promise<ContactStore> {
      const o = await open();
      opened.push(o);
      return o.store;
    }
    afterEach(async () => {
      for (const o of opened.splice(0)) {
        await o.store.close();
        await o.dispose?.();
      }
    });

    async function seed(store: ContactStore, n: number): Promise<StoredContact[]> {
      const out: StoredContact[] = [];
      for (let i = 0; i < n; i++) {
        const c = newContact(`contact ${i}`, i % 2 === 0);
        await store.insert(c);
        out.push(c);
      }
      return out;
    }

    async function walk(
      store: ContactStore,
      limit: number,
    ): Promise<{ pages: StoredContact[][]; ids: string[] }> {
      const pages: StoredContact[][] = [];
      let after: string | undefined;
      for (let guard = 0; guard < 1000; guard++) {
        const page = await store.list(after === undefined ? { limit } : { limit, after });
        pages.push(page.items);
        if (page.next === undefined) break;
        expect(page.next).toBe(page.items[page.items.length - 1]?.id);
        after = page.next;
      }
      return { pages, ids: pages.flat().map((c) => c.id) };
    }

    it('stores a contact and reads it back unchanged', async () => {
      const store = await fresh();
      const c = newContact('Ada Lovelace 👩‍💻 "quoted" ünïcödé', true);
      await store.insert(c);
      expect(await store.get(c.id)).toEqual(c);
    });

    it('answers null for an id it does not hold', async () => {
      const store = await fresh();
      expect(await store.get(createContactId())).toBeNull();
    });

    it('refuses a second contact with the same id and keeps the first', async () => {
      const store = await fresh();
      const c = newContact('first');
      await store.insert(c);
      await expect(store.insert({ ...c, name: 'second' })).rejects.toBeInstanceOf(ContactExistsError);
      expect((await store.get(c.id))?.name).toBe('first');
    });

    it('replaces name and checked, bumps the version and keeps createdAt', async () => {
      const store = await fresh();
      const c = newContact('before');
      await store.insert(c);
      const updated = await store.replace(c.id, { name: 'after', checked: true, updatedAt: c.updatedAt + 5 });
      expect(updated).toEqual({ ...c, name: 'after', checked: true, updatedAt: c.updatedAt + 5, version: 2 });
      expect(await store.get(c.id)).toEqual(updated);
    });

    it('raises ContactNotFoundError when replacing or deleting a missing id', async () => {
      const store = await fresh();
      const id = createContactId();
      await expect(store.replace(id, { name: 'x', checked: false, updatedAt: 1 })).rejects.toBeInstanceOf(
        ContactNotFoundError,
      );
      await expect(store.replace(id, { name: 'x', checked: false, updatedAt: 1 }, 1)).rejects.toBeInstanceOf(
        ContactNotFoundError,
      );
      await expect(store.delete(id)).rejects.toBeInstanceOf(ContactNotFoundError);
      await expect(store.delete(id, 1)).rejects.toBeInstanceOf(ContactNotFoundError);
    });

    it('writes conditionally: the expected version wins, a stale one fails and changes nothing', async () => {
      const store = await fresh();
      const c = newContact('v1');
      await store.insert(c);
      const v2 = await store.replace(c.id, { name: 'v2', checked: false, updatedAt: c.updatedAt + 1 }, 1);
      expect(v2.version).toBe(2);
      await expect(
        store.replace(c.id, { name: 'stale', checked: true, updatedAt: c.updatedAt + 2 }, 1),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
      expect(await store.get(c.id)).toEqual(v2);
    });

    it('lets exactly one of many concurrent writers holding the same version win', async () => {
      const store = await fresh();
      const c = newContact('contested');
      await store.insert(c);
      const writers = Array.from({ length: 10 }, (_, i) =>
        store.replace(c.id, { name: `writer ${i}`, checked: i % 2 === 0, updatedAt: c.updatedAt + 1 }, 1),
      );
      const results = await Promise.allSettled(writers);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(9);
      for (const r of lost) expect(r.reason).toBeInstanceOf(PreconditionFailedError);
      const winner = (won[0] as PromiseFulfilledResult<StoredContact>).value;
      expect(winner.version).toBe(2);
      expect(await store.get(c.id)).toEqual(winner);
    });

    it('deletes conditionally: a stale version keeps the contact, the current one removes it', async () => {
      const store = await fresh();
      const c = newContact('doomed');
      await store.insert(c);
      await store.replace(c.id, { name: 'doomed v2', checked: false, updatedAt: c.updatedAt + 1 });
      await expect(store.delete(c.id, 1)).rejects.toBeInstanceOf(PreconditionFailedError);
      expect(await store.get(c.id)).not.toBeNull();
      await store.delete(c.id, 2);
      expect(await store.get(c.id)).toBeNull();
      await expect(store.delete(c.id)).rejects.toBeInstanceOf(ContactNotFoundError);
    });

    it('deletes unconditionally without a version', async () => {
      const store = await fresh();
      const [c] = await seed(store, 1);
      await store.delete(c!.id);
      expect(await store.get(c!.id)).toBeNull();
    });

    it('lists an empty store as one empty last page', async () => {
      const store = await fresh();
      expect(await store.list({ limit: 10 })).toEqual({ items: [] });
    });

    it('pages through more than one page returning every contact exactly once', async () => {
      const store = await fresh();
      const all = await seed(store, 25);
      const { pages, ids } = await walk(store, 10);
      expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
      expect(new Set(ids).size).toBe(25);
      expect([...ids].sort()).toEqual(all.map((c) => c.id).sort());
      const byId = new Map(all.map((c) => [c.id, c]));
      for (const item of pages.flat()) expect(item).toEqual(byId.get(item.id));
    });

    it('ends exactly at a full page without a trailing empty page', async () => {
      const store = await fresh();
      await seed(store, 20);
      const { pages } = await walk(store, 10);
      expect(pages.map((p) => p.length)).toEqual([10, 10]);
    });

    it('gives a stable order: walking twice yields the same sequence', async () => {
      const store = await fresh();
      await seed(store, 12);
      const a = await walk(store, 5);
      const b = await walk(store, 5);
      expect(b.ids).toEqual(a.ids);
    });

    it('continues after a position whose contact was deleted meanwhile', async () => {
      const store = await fresh();
      const all = await seed(store, 9);
      const first = await store.list({ limit: 3 });
      const position = first.next!;
      expect(position).toBeDefined();
      await store.delete(position);
      const rest = await store.list({ limit: 100, after: position });
      const ids = [
        ...first.items.map((c) => c.id).filter((id) => id !== position),
        ...rest.items.map((c) => c.id),
      ];
      expect(ids).toHaveLength(8);
      expect(new Set(ids)).toEqual(new Set(all.map((c) => c.id).filter((id) => id !== position)));
      expect(rest.next).toBeUndefined();
    });
  });
}
