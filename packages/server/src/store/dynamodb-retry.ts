/**
 * Optimistic concurrency for the DynamoDB store: a read-then-write whose conditions show that the
 * state moved meanwhile throws `Contention`, and `retrying` starts it over with jittered backoff.
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html
 */
import { StoreConflictError } from './store.ts';

/** Tries of a read-then-write before giving up with StoreConflictError (about 2 s of backoff at most). */
const MAX_ATTEMPTS = 10;

/** Thrown inside `retrying` to start the read-then-write over. */
export class Contention extends Error {}

/** Re-runs `attempt` while it throws Contention, with jittered backoff; StoreConflictError after MAX_ATTEMPTS. */
export async function retrying<T>(what: string, attempt: () => Promise<T>): Promise<T> {
  for (let round = 0; ; round += 1) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof Contention)) throw err;
      if (round + 1 >= MAX_ATTEMPTS)
        throw new StoreConflictError(`${what}: too many concurrent changes; try again`);
      await backoff(round + 1);
    }
  }
}

/** Full-jitter exponential backoff: up to 10 ms, 20 ms, ... capped at 320 ms. */
export function backoff(round: number): Promise<void> {
  const cap = Math.min(320, 10 * 2 ** (round - 1));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
}
