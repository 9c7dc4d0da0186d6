/**
 * `/api/v2/blacklists/tokens`: the token deny-list, Auth0 shape (`{aud, jti}`). An entry lives until
 * the token can no longer be valid: for a gatehouse `jti` (a ULID) its issue time plus the longest
 * token lifetime, otherwise the time of listing plus that lifetime.
 * @see https://auth0.com/docs/api/management/v2/blacklists/post-tokens
 */
import { Hono } from 'hono';
import type { RevocationStore } from '../store/store.ts';
import { decodeUlidTime } from '../token/ulid.ts';
import { type Audit, recordChange } from './audit.ts';
import { blacklistQuerySchema, blacklistTokenSchema } from './blacklist-schemas.ts';
import type { ManagementAuth, ManagementEnv } from './management-auth.ts';
import { parseQuery, readBody } from './parse-input.ts';

/** Longest token lifetime (ms): resource servers and grants allow at most 86400 s. */
const MAX_TOKEN_LIFETIME_MS = 86_400_000;
/** Most entries a list answers. */
const MAX_LISTED = 10_000;

/** Creates the `/blacklists/tokens` routes (mounted under `/api/v2`). */
export function createBlacklistRoutes(opts: {
  store: RevocationStore;
  auth: ManagementAuth;
  audit: Audit;
}): Hono<ManagementEnv> {
  const { store, auth, audit } = opts;
  const app = new Hono<ManagementEnv>();

  app.get('/tokens', auth.requireScope('blacklist:tokens'), async (c) => {
    const { aud } = parseQuery(c.req, blacklistQuerySchema);
    const entries = await store.listRevokedTokens({
      ...(aud !== undefined ? { audience: aud } : {}),
      now: Date.now(),
      limit: MAX_LISTED,
    });
    return c.json(entries.map((e) => ({ aud: e.audience, jti: e.jti })));
  });

  app.post('/tokens', audit.on('token.blacklisted'), auth.requireScope('blacklist:tokens'), async (c) => {
    const { aud, jti } = await readBody(c.req, blacklistTokenSchema);
    const now = Date.now();
    const issuedAt = decodeUlidTime(jti);
    const expiresAt = Math.min(issuedAt ?? now, now) + MAX_TOKEN_LIFETIME_MS;
    await store.revokeToken({ jti, audience: aud, clientId: null, expiresAt });
    recordChange(c, { targetId: jti, before: null, after: { aud, jti } });
    return c.json({ aud, jti }, 201);
  });

  return app;
}
