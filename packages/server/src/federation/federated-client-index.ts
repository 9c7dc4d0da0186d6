/**
 * Finds the clients whose federated credentials trust an issuer, for a token sent without
 * `client_id`. The index is built by listing the clients and kept in memory. With a store that
 * has `changeStamp` (SQLite, token-read-cache.ts), any committed write makes the next lookup
 * rebuild it, at most once per `minRebuildMs`; without one, a miss rebuilds it at most once per
 * `refreshMs` and a hit once per `maxAgeMs`. Writes come in bursts (lockout counters under a
 * failure flood), so a write seen within `minRebuildMs` of the last listing is answered from that
 * listing and picked up by one scheduled listing: a new credential is found by a token request
 * without `client_id` within about `minRebuildMs` (at once with `client_id`). So a flood of unknown issuers, or of failures that
 * write lockout counters, costs a bounded number of listings. A hit is only a candidate: the
 * verifier re-reads the client and its credential before trusting either.
 */
import type { ClientCredentialRecord, ClientStore } from '../store/store.ts';

/** A federated credential and the client holding it. */
export interface FederatedCandidate {
  clientId: string;
  credential: ClientCredentialRecord;
}

/** Candidates by issuer. */
export interface FederatedClientIndex {
  candidates(issuer: string): Promise<FederatedCandidate[]>;
}

const PAGE_SIZE = 100;

/** Trailing-slash-insensitive form of an issuer identifier, the index key. */
export function issuerKey(issuer: string): string {
  return issuer.replace(/\/$/, '');
}

/** Creates the index over a client store. */
export function createFederatedClientIndex(
  store: Pick<ClientStore, 'listClients'> & { changeStamp?: () => string },
  opts: { refreshMs?: number; maxAgeMs?: number; minRebuildMs?: number } = {},
): FederatedClientIndex {
  const refreshMs = opts.refreshMs ?? 5000;
  const maxAgeMs = opts.maxAgeMs ?? 60_000;
  const minRebuildMs = opts.minRebuildMs ?? 250;
  const stampOf = store.changeStamp?.bind(store);
  let index: Map<string, FederatedCandidate[]> | undefined;
  let builtAt = 0;
  let builtStamp: string | undefined;
  let building: Promise<void> | undefined;

  const build = async (): Promise<void> => {
    const stamp = stampOf?.();
    const next = new Map<string, FederatedCandidate[]>();
    for (let page = 0; ; page++) {
      const { items } = await store.listClients({ page, perPage: PAGE_SIZE, includeTotals: false });
      for (const client of items) {
        for (const credential of client.credentials) {
          if (credential.credentialType !== 'federated' || credential.issuer === undefined) continue;
          const key = issuerKey(credential.issuer);
          const list = next.get(key) ?? [];
          list.push({ clientId: client.clientId, credential });
          next.set(key, list);
        }
      }
      if (items.length < PAGE_SIZE) break;
    }
    index = next;
    builtAt = Date.now();
    builtStamp = stamp;
  };
  const rebuild = (): Promise<void> => {
    building ??= build().finally(() => {
      building = undefined;
    });
    return building;
  };
  let scheduled: NodeJS.Timeout | undefined;
  /** A write seen within `minRebuildMs` of the last listing: answer from it now, list again soon. */
  const scheduleRebuild = (): void => {
    if (scheduled !== undefined) return;
    scheduled = setTimeout(() => {
      scheduled = undefined;
      rebuild().catch(() => {
        // The next lookup lists again (and fails closed if the store is down).
      });
    }, minRebuildMs);
    scheduled.unref();
  };

  return {
    async candidates(issuer) {
      const key = issuerKey(issuer);
      const age = Date.now() - builtAt;
      const changed = stampOf !== undefined && stampOf() !== builtStamp;
      if (index === undefined || age > maxAgeMs || (changed && age >= minRebuildMs)) await rebuild();
      else if (changed) scheduleRebuild();
      const found = index?.get(key);
      if (found !== undefined || stampOf !== undefined) return found ?? [];
      if (Date.now() - builtAt > refreshMs) await rebuild();
      return index?.get(key) ?? [];
    },
  };
}
