/**
 * Bearer authentication of Management API calls: a gatehouse access token for the audience
 * `${issuer}api/v2/`, verified against the server's own key ring (jose: not a hot path), checked
 * against the deny-list and cut-offs, and against the caller's grant as it stands now, so a
 * deleted or disabled admin client, a reduced grant or a revoked token takes effect at once.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2.1
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 */

import { parseScope } from '@gatehouse/protocol';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/app-env.ts';
import { Forbidden, Unauthorized } from '../http/errors.ts';
import type { RevocationCheck } from '../revocation/revocation-check.ts';
import type { Store } from '../store/store.ts';
import type { AccessTokenVerifier } from '../token/access-token-verifier.ts';
import type { AuditChange } from './audit.ts';

/** Who called the Management API, and the scopes in force for this call. */
export interface ManagementCaller {
  clientId: string;
  scopes: readonly string[];
}

/** Hono environment of Management API routes. */
export interface ManagementEnv extends AppEnv {
  Variables: AppEnv['Variables'] & {
    caller: ManagementCaller;
    /** What a changing route changed, for its audit event (management/audit.ts). */
    auditChange: AuditChange;
  };
}

/**
 * The admin console's session as a second way to present a Management API token: the sealed
 * session cookie plus the CSRF header (admin/console-session.ts). The token inside is checked
 * exactly like a bearer token, so the console has the same scopes and no other way in.
 */
export interface SessionBearer {
  /**
   * The session's token and the Set-Cookie value that extends its idle timeout, or undefined when
   * the request carries no session cookie; throws a ManagementError for a bad or expired session,
   * a missing or wrong CSRF token, or a cross-site request.
   */
  read(
    c: Context,
    opts: { requireCsrf: true },
  ): { session: { token: string }; setCookie: string } | undefined;
}

/** Options of `createManagementAuth`. */
export interface ManagementAuthOptions {
  audience: string;
  verifier: AccessTokenVerifier;
  revocations: RevocationCheck;
  store: Store;
  /** Accepts the console's session in place of a bearer token (only when no Authorization header is sent). */
  session?: SessionBearer | undefined;
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

/** Creates the Management API's authentication. */
export function createManagementAuth(opts: ManagementAuthOptions): ManagementAuth {
  const { audience, verifier, revocations, store, session } = opts;

  const verify = async (token: string): Promise<ManagementCaller> => {
    const claims = await verifier.verify(token, { audience });
    const scope = claims === null ? null : parseScope(claims.scope);
    if (claims === null || scope === null) throw new Unauthorized('invalid_token', 'Invalid token');
    const clientId = claims.sub;
    const [client, grant, revoked] = await Promise.all([
      store.getClient(clientId),
      store.findClientGrant(clientId, audience),
      revocations.isRevoked(claims),
    ]);
    if (revoked) throw new Unauthorized('invalid_token', 'Invalid token: it has been revoked');
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
        const header = c.req.header('authorization');
        const fromSession = header === undefined ? session?.read(c, { requireCsrf: true }) : undefined;
        const caller =
          fromSession !== undefined ? await verify(fromSession.session.token) : await authenticate(header);
        c.set('caller', caller);
        c.set('clientId', caller.clientId);
        if (!caller.scopes.includes(scope)) {
          throw new Forbidden('insufficient_scope', `Insufficient scope, expected any of: ${scope}`);
        }
        await next();
        if (fromSession !== undefined) c.res.headers.append('Set-Cookie', fromSession.setCookie);
      };
    },
  };
}
