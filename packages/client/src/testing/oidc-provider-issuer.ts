/**
 * Test fixture: oidc-provider@8.8.1 (a real OAuth 2.0 / OpenID Connect server from npm) on
 * 127.0.0.1, issuing RFC 9068-style JWT access tokens through client credentials with an RFC 8707
 * resource indicator. Token requests are counted inside the server.
 *
 * oidc-provider ships no type declarations; it is loaded through a computed specifier and
 * described by the small `ProviderModule` interface below, rather than declaring the module
 * globally for the whole workspace.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';

interface KoaContext {
  method: string;
  path: string;
}

interface ProviderInstance {
  use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void;
  callback(): (req: IncomingMessage, res: ServerResponse) => unknown;
}

interface ProviderModule {
  default: new (issuer: string, configuration: object) => ProviderInstance;
  errors: { InvalidTarget: new () => Error };
}

/** A running oidc-provider issuer. */
export interface OidcProviderIssuer {
  /** Issuer identifier, `http://127.0.0.1:<port>` (no trailing slash, as oidc-provider has it). */
  issuer: string;
  /** POSTs to /token seen so far. */
  tokenRequests(): number;
  close(): Promise<void>;
}

/** Options: the one client and the one resource server the issuer knows. */
export interface OidcProviderIssuerOptions {
  clientId: string;
  clientSecret: string;
  resource: string;
  scopes: string;
  accessTokenTtlSeconds: number;
}

const MODULE_NAME = 'oidc-provider';

/** Starts oidc-provider on a free loopback port. */
export async function startOidcProviderIssuer(
  options: OidcProviderIssuerOptions,
): Promise<OidcProviderIssuer> {
  const mod = (await import(MODULE_NAME)) as ProviderModule;
  let handler: (req: IncomingMessage, res: ServerResponse) => unknown = (_req, res) => res.end();
  const server: Server = createServer((req, res) => {
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'test-key' };
  const provider = new mod.default(issuer, {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [jwk] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== options.resource) throw new mod.errors.InvalidTarget();
          return {
            scope: options.scopes,
            audience: options.resource,
            accessTokenTTL: options.accessTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
  });
  let count = 0;
  provider.use(async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === '/token') count++;
    await next();
  });
  handler = provider.callback();
  return {
    issuer,
    tokenRequests: () => count,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
