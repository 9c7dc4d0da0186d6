/** `/api/v2/keys/signing`: the server's signing keys (public parts). Rotation and revocation arrive with issue 6. */
import { Hono } from 'hono';
import { NotFound } from '../http/errors.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import type { ManagementAuth, ManagementEnv } from './management-auth.ts';
import { parsePathParam } from './parse-input.ts';
import { toSigningKeyResponse } from './signing-key-schemas.ts';

const KID = /^[A-Za-z0-9_-]{1,128}$/;

/** Creates the `/keys/signing` routes (mounted under `/api/v2`). */
export function createSigningKeyRoutes(opts: {
  keyRing: KeyRing;
  auth: ManagementAuth;
}): Hono<ManagementEnv> {
  const { keyRing, auth } = opts;
  const app = new Hono<ManagementEnv>();

  app.get('/', auth.requireScope('read:signing_keys'), async (c) => {
    const keys = await keyRing.listKeys();
    return c.json(keys.map(toSigningKeyResponse));
  });

  app.get('/:kid', auth.requireScope('read:signing_keys'), async (c) => {
    const kid = parsePathParam(c.req, 'kid', KID, 'a key id');
    const key = (await keyRing.listKeys()).find((k) => k.kid === kid);
    if (key === undefined) throw new NotFound('inexistent_signing_key', 'The signing key does not exist');
    return c.json(toSigningKeyResponse(key));
  });

  return app;
}
