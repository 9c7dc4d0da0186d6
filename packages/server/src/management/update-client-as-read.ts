/**
 * A change to a client computed from the client as read (its secrets, its credentials), written
 * only while nobody has changed the client since (`ifUpdatedAt`); else the client is read again and
 * the change computed anew. Two concurrent secret rotations or credential changes thus both land:
 * neither overwrites the other, and no secret shown to a caller goes unstored.
 */
import { Conflict } from '../http/errors.ts';
import { backoff } from '../store/dynamodb-retry.ts';
import { type ClientPatch, type ClientRecord, type ClientStore, StoreStaleError } from '../store/store.ts';

/** Reads before giving up with 409 (each lost race means another change landed). */
export const MAX_UPDATE_ATTEMPTS = 10;

/** Reads the client, computes the patch from it, writes it on that state; the client before and after. */
export async function updateClientAsRead(
  store: Pick<ClientStore, 'updateClient'>,
  read: () => Promise<ClientRecord>,
  change: (client: ClientRecord) => ClientPatch,
): Promise<{ before: ClientRecord; after: ClientRecord }> {
  for (let attempt = 1; ; attempt++) {
    const before = await read();
    const patch = change(before);
    try {
      const after = await store.updateClient(before.clientId, patch, { ifUpdatedAt: before.updatedAt });
      return { before, after };
    } catch (err) {
      if (!(err instanceof StoreStaleError)) throw err;
      if (attempt >= MAX_UPDATE_ATTEMPTS) {
        throw new Conflict('concurrent_update', 'The client changed while this request ran; try again');
      }
      // the store's own full-jitter backoff between read-then-write rounds
      await backoff(attempt);
    }
  }
}
