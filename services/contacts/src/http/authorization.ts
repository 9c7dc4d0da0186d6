/**
 * The authorizer in front of the contacts routes: `@gatehouse/authorizer/node` (or `/hono`) with
 * `CONTACTS_ROUTE_POLICY` (or the server's policy for the contacts API, `CONTACTS_POLICY=remote`). It verifies tokens with the issuer's public keys (JWKS), so the service
 * holds no secret and no key.
 */
import type { Authorizer, AuthorizerSettings, Verifier, VerifierOptions } from '@gatehouse/authorizer';
import { createHonoMiddleware } from '@gatehouse/authorizer/hono';
import { createNodeGuard, type NodeGuard } from '@gatehouse/authorizer/node';
import type { MiddlewareHandler } from 'hono';
import { CONTACTS_ROUTE_POLICY } from '../access/route-policy.ts';

/**
 * Verifier options for the contacts routes (`issuer`, `audience`, ...). The policy is the contacts
 * one in code (`'code'`, default) or, with `'remote'`, the contacts API's `routes` on the server.
 */
export type ContactsAuthorizationOptions = Omit<AuthorizerSettings, 'policy'> & {
  readonly policy?: 'code' | 'remote' | undefined;
} & ({ readonly verifier: Verifier } | VerifierOptions);

/** What guards the contacts routes; `authorizer` must be closed on shutdown (JWKS refresh timer). */
export interface ContactsAuthorization {
  /** As Hono middleware (`createContactsApp({ auth: middleware })`). */
  middleware: MiddlewareHandler;
  /** The same check for the Node server in front (`startServer({ guard })` with `auth: 'server'`). */
  guard: NodeGuard;
  authorizer: Authorizer;
}

/** Creates the authorization middleware of the contacts routes. */
export function createContactsAuthorization(
  options: ContactsAuthorizationOptions | Authorizer,
): ContactsAuthorization {
  const middleware = createHonoMiddleware(
    isAuthorizer(options)
      ? options
      : { ...options, policy: options.policy === 'remote' ? 'remote' : CONTACTS_ROUTE_POLICY },
  );
  return { middleware, guard: createNodeGuard(middleware.authorizer), authorizer: middleware.authorizer };
}

function isAuthorizer(value: ContactsAuthorizationOptions | Authorizer): value is Authorizer {
  return typeof (value as Partial<Authorizer>).authorize === 'function';
}
