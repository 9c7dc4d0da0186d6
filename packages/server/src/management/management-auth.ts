/**
 * Bearer authentication of Management API calls: a gatehouse access token for the audience
 * `${issuer}api/v2/`, verified against the server's own key ring (jose: not a hot path), and
 * checked against the caller's grant as it stands now, so a deleted or disabled admin client, or a
 * reduced grant, takes effect at once rather than at token expiry.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 */

import { parseScope } from '@gatehouse/protocol';
import type { MiddlewareHandler } from 'hono';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { AppEnv } from '../http/app-env.ts';
import { Forbidden, Unauthorized } from '../http/errors.ts';
import type { Jwks, KeyRing } from '../keys/key-ring.ts';
import type { Store } from '../store/store.ts';

/** Who called the Management API, and the scopes in force for this call. */
export interface ManagementCaller {
  clientId: string;
  scopes: readonly string[];
}

/** Hono environment of Management API routes. */
export interface ManagementEnv extends AppEnv {
  Variables: AppEnv['Variables'] & { caller: ManagementCaller };
}

/** Options of `createManagementAuth`. */
export interface ManagementAuthOptions {
  issuer: string;
  audience: string;
  keyRing: KeyRing;
  store: Store;
}

/** The Management API's route guard. */
export interface ManagementAuth {
  /**
   * Middleware that verifies the bearer token (401 otherwise), sets `c.var.caller`, and refuses
   * with 403 `insufficient_scope` unless the caller holds `scope`. Each route carries exactly one,
   * so an unknown route answers 404 before any authentication.
   */
  requireScope(scope: string): MiddlewareHandler<ManagementEnv>;
}

const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];

/** Creates the Management API's authentication. */
export function createManagementAuth(opts: ManagementAuthOptions): ManagementAuth {
  const { issuer, audience, keyRing, store } = opts;
  let keySetFor: Jwks | undefined;
  let keySet: ReturnType<typeof createLocalJWKSet> | undefined;

  const getKeySet = async (): Promise<ReturnType<typeof createLocalJWKSet>> => {
    const jwks = await keyRing.getJwks();
    if (keySet === undefined || keySetFor !== jwks) {
      keySet = createLocalJWKSet(jwks);
      keySetFor = jwks;
    }
    return keySet;
  };

  const verify = async (token: string): Promise<ManagementCaller> => {
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(token, await getKeySet(), {
        issuer,
        audience,
        typ: 'at+jwt',
        algorithms: ALGORITHMS,
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch {
      throw new Unauthorized('invalid_token', 'Invalid token');
    }
    const clientId = claims.sub;
    const scope = typeof claims.scope === 'string' ? parseScope(claims.scope) : [];
    if (typeof clientId !== 'string' || scope === null)
      throw new Unauthorized('invalid_token', 'Invalid token');
    const [client, grant] = await Promise.all([
      store.getClient(clientId),
      store.findClientGrant(clientId, audience),
    ]);
    if (client === null || client.disabled || grant === null) {
      throw new Unauthorized('invalid_token', 'Invalid token: the client or its grant no longer exists');
    }
    return { clientId, scopes: scope.filter((s) => grant.scope.includes(s)) };
  };

  const authenticate = async (header: string | undefined): Promise<ManagementCaller> => {
    if (header === undefined || header.trim() === '') {
      throw new Unauthorized('missing_authorization', 'Missing authentication');
    }
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim());
    if (match === null || match[1]!.length > 8192) {
      throw new Unauthorized('invalid_token', 'Bad HTTP authentication header format');
    }
    return verify(match[1]!);
  };

  return {
    requireScope(scope) {
      return async (c, next) => {
        const caller = await authenticate(c.req.header('authorization'));
        c.set('caller', caller);
        c.set('clientId', caller.clientId);
        if (!caller.scopes.includes(scope)) {
          throw new Forbidden('insufficient_scope', `Insufficient scope, expected any of: ${scope}`);
        }
        await next();
      };
    },
  };
}
