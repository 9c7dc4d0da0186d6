/**
 * The feed code: polling, the deny-list, the remote route policy. `lazy-feeds.ts` loads it on
 * first use, so in the Lambda bundle it is a chunk of its own, read while the first key fetch is
 * in flight rather than before it (scripts/bundle-lambda.mjs).
 */
export { createRemotePolicy } from '../policy/remote-policy.ts';
export { createRevocationSync } from './revocation-sync.ts';
