/**
 * `/api/v2/keys/signing`: the server's signing keys (public parts), their rotation and their
 * emergency revocation, Auth0 shapes.
 * @see https://auth0.com/docs/api/management/v2/keys/post-signing-keys
 * @see https://auth0.com/docs/api/management/v2/keys/put-signing-keys
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { NotFound } from '../http/errors.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import { type Audit, recordChange } from './audit.ts';
import { signingAlgSchema } from './field-schemas.ts';
import type { ManagementAuth, ManagementEnv } from './management-auth.ts';
import { parsePathParam, parseQuery } from './parse-input.ts';
import { toSigningKeyResponse } from './signing-key-schemas.ts';

const KID = /^[A-Za-z0-9_-]{1,128}$/;
/** `alg` picks the algorithm to rotate (gatehouse extension; Auth0 has one key). */
const rotateQuery = z.strictObject({ alg: signingAlgSchema.optional() });

/** Creates the `/keys/signing` routes (mounted under `/api/v2`). */
export function createSigningKeyRoutes(opts: {
  keyRing: KeyRing;
  auth: ManagementAuth;
  audit: Audit;
}): Hono<ManagementEnv> {
  const { keyRing, auth, audit } = opts;
  const app = new Hono<ManagementEnv>();
  const kidParam = (req: Parameters<typeof parsePathParam>[0]) => parsePathParam(req, 'kid', KID, 'a key id');

  app.get('/', auth.requireScope('read:signing_keys'), async (c) => {
    const keys = await keyRing.listKeys();
    return c.json(keys.map(toSigningKeyResponse));
  });

  app.post(
    '/rotate',
    audit.on('signing_key.rotated'),
    auth.requireScope('create:signing_keys'),
    async (c) => {
      const { alg } = parseQuery(c.req, rotateQuery);
      const before = (await keyRing.listKeys()).find(
        (k) => k.status === 'current' && k.alg === (alg ?? 'RS256'),
      );
      const key = await keyRing.rotateSigningKey(alg ?? 'RS256');
      recordChange(c, {
        targetId: key.kid,
        before: before === undefined ? null : toSigningKeyResponse(before),
        after: toSigningKeyResponse(key),
      });
      // Auth0 answers {cert, kid}; gatehouse keys have no X.509 certificate.
      return c.json({ kid: key.kid }, 201);
    },
  );

  app.get('/:kid', auth.requireScope('read:signing_keys'), async (c) => {
    const kid = kidParam(c.req);
    const key = (await keyRing.listKeys()).find((k) => k.kid === kid);
    if (key === undefined) throw new NotFound('inexistent_signing_key', 'The signing key does not exist');
    return c.json(toSigningKeyResponse(key));
  });

  app.put(
    '/:kid/revoke',
    audit.on('signing_key.revoked'),
    auth.requireScope('update:signing_keys'),
    async (c) => {
      const kid = kidParam(c.req);
      const before = (await keyRing.listKeys()).find((k) => k.kid === kid);
      if (before === undefined) {
        throw new NotFound('inexistent_signing_key', 'The signing key does not exist');
      }
      const key = await keyRing.revokeSigningKey(kid);
      recordChange(c, {
        targetId: key.kid,
        before: toSigningKeyResponse(before),
        after: toSigningKeyResponse(key),
      });
      return c.json({ kid: key.kid });
    },
  );

  return app;
}
