import type { Poller } from './poller.ts';

/** The feed module (`feeds.ts`). */
export type FeedModule = typeof import('./feeds.ts');

/** A feed follower (deny-list, remote policy) whose code is still loading or loaded. */
export interface FeedHandle<T extends Poller> {
  /** The follower, once its code is loaded. */
  get(): T | undefined;
  /** Whether a decision may use it now: loaded, and its state current (see {@link Poller.isReady}). */
  isReady(now: number): boolean;
  /** Waits for the code and the state; false when no state was ever had. */
  whenReady(): Promise<boolean>;
  refresh(): Promise<void>;
  close(): void;
}

/**
 * Creates a feed follower from the feed code (polling, the deny-list, the remote route policy),
 * which is imported on first use: in the Lambda bundle it is a chunk of its own, read while the
 * first key fetch is in flight rather than before it (scripts/bundle-lambda.mjs).
 */
export function followFeed<T extends Poller>(create: (feeds: FeedModule) => T): FeedHandle<T> {
  let follower: T | undefined;
  let closed = false;
  const loaded = import('./feeds.ts').then((feeds) => {
    follower = create(feeds);
    if (closed) follower.close();
    return follower;
  });
  loaded.catch(() => {});
  return {
    get: () => follower,
    isReady: (now) => follower?.isReady(now) === true,
    whenReady: () => loaded.then((f) => f.whenReady()),
    refresh: () => loaded.then((f) => f.refresh()),
    close() {
      closed = true;
      follower?.close();
    },
  };
}
