/**
 * Local stand-ins for Auth0, Amazon Cognito and Keycloak, which cannot run here (no network, no
 * container images): real `node:http` servers on 127.0.0.1 serving each product's discovery
 * document, JWKS and token endpoint in the product's own shapes, and minting access tokens with
 * exactly the header and claim sets each product documents. Tokens are signed by hand from the JSON
 * text (so Keycloak's spaced header is byte-for-byte Keycloak's) with a real RS256 key.
 *
 * Sources, per product:
 * - Auth0 M2M tokens (default "Auth0" token profile: typ JWT, azp, gty; "RFC 9068" profile: typ
 *   at+jwt, client_id, jti; `permissions` with RBAC's "Add Permissions in the Access Token"):
 *   https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles and
 *   https://auth0.com/docs/get-started/authentication-and-authorization-flow/client-credentials-flow/call-your-api-using-the-client-credentials-flow
 *   (POST /oauth/token, JSON body with audience; answer {access_token, scope, expires_in: 86400, token_type}).
 * - Cognito client-credentials access tokens (header {kid, alg}; sub = client_id, token_use access,
 *   scope "<resource server>/<scope>", version 2, no aud):
 *   https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html
 *   and the token endpoint (POST /oauth2/token, form, Basic auth, scope; answer {access_token,
 *   expires_in: 3600, token_type}): https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html
 * - Keycloak service-account tokens (header {"alg","typ" : "JWT","kid"}; typ Bearer, azp,
 *   client_id, preferred_username service-account-<client>, realm_access, resource_access, scope;
 *   iss https://host/realms/<realm>; token endpoint /realms/<realm>/protocol/openid-connect/token):
 *   https://www.keycloak.org/docs/latest/server_admin/#_service_accounts and
 *   https://www.keycloak.org/securing-apps/oidc-layers
 */
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The products these stand-ins imitate. */
export type Product = 'auth0' | 'cognito' | 'keycloak';

/** A client the issuer knows: its secret and the scopes it was granted. */
export interface ProductClient {
  readonly id: string;
  readonly secret: string;
  readonly scopes: readonly string[];
}

/** One token request as the stand-in saw it (for asserting the token client's wire format). */
export interface SeenTokenRequest {
  readonly contentType: string | undefined;
  readonly basicAuth: boolean;
  readonly body: Record<string, unknown>;
}

/** A running stand-in issuer. */
export interface ProductIssuer {
  readonly product: Product;
  /** `iss` exactly as the product writes it (Auth0 ends in `/`; Cognito and Keycloak do not). */
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly kid: string;
  /** Claims of a client-credentials token for `clientId`, overridable (`undefined` removes one). */
  claims(clientId: string, overrides?: Record<string, unknown>): Record<string, unknown>;
  /** The product's header JSON text, overridable. */
  headerText(overrides?: Record<string, unknown>): string;
  /** Signs header and payload JSON text with the issuer's key (or `key`). */
  signRaw(
    headerText: string,
    payload: Record<string, unknown> | string,
    key?: ReturnType<typeof generateKeyPairSync>['privateKey'],
  ): string;
  /** A client-credentials token exactly as the product would mint it. */
  mint(clientId: string, overrides?: Record<string, unknown>): string;
  readonly tokenRequests: SeenTokenRequest[];
  close(): Promise<void>;
}

/** Options of {@link startProductIssuer}. */
export interface ProductIssuerOptions {
  /** Auth0: the API identifier (`aud`); Cognito: the resource server identifier; Keycloak: the audience mapper's value. */
  readonly audience: string;
  readonly clients: readonly ProductClient[];
  /** Auth0 only: the RFC 9068 token profile instead of the default one. */
  readonly rfc9068?: boolean;
  /** Auth0 only: RBAC with "Add Permissions in the Access Token". */
  readonly permissions?: boolean;
}

const b64 = (text: string) => Buffer.from(text).toString('base64url');

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts a stand-in for `product` on an ephemeral loopback port. */
export async function startProductIssuer(
  product: Product,
  options: ProductIssuerOptions,
): Promise<ProductIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = product === 'auth0' ? 'xYzAuth0KeyId' : randomUUID();
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const tokenRequests: SeenTokenRequest[] = [];
  let origin = '';
  let issuer = '';
  let tokenPath = '';

  const headerText = (overrides: Record<string, unknown> = {}): string => {
    if (product === 'keycloak' && Object.keys(overrides).length === 0) {
      // Keycloak's header text, spaces and all
      return `{"alg":"RS256","typ" : "JWT","kid" : "${kid}"}`;
    }
    const base: Record<string, unknown> =
      product === 'cognito'
        ? { kid, alg: 'RS256' }
        : product === 'auth0'
          ? { alg: 'RS256', typ: options.rfc9068 ? 'at+jwt' : 'JWT', kid }
          : { alg: 'RS256', typ: 'JWT', kid };
    const header = { ...base, ...overrides };
    for (const k of Object.keys(header)) if (header[k] === undefined) delete header[k];
    return JSON.stringify(header);
  };

  const claims = (clientId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> => {
    const now = Math.floor(Date.now() / 1000);
    const client = options.clients.find((c) => c.id === clientId);
    const scopes = client?.scopes ?? [];
    let base: Record<string, unknown>;
    if (product === 'auth0') {
      base = options.rfc9068
        ? {
            iss: issuer,
            sub: `${clientId}@clients`,
            aud: options.audience,
            client_id: clientId,
            iat: now,
            exp: now + 86400,
            jti: randomUUID().replaceAll('-', ''),
            scope: scopes.join(' '),
          }
        : {
            iss: issuer,
            sub: `${clientId}@clients`,
            aud: options.audience,
            iat: now,
            exp: now + 86400,
            scope: scopes.join(' '),
            gty: 'client-credentials',
            azp: clientId,
          };
      if (options.permissions) base.permissions = [...scopes];
    } else if (product === 'cognito') {
      base = {
        sub: clientId,
        token_use: 'access',
        scope: scopes.map((s) => `${options.audience}/${s}`).join(' '),
        auth_time: now,
        iss: issuer,
        exp: now + 3600,
        iat: now,
        version: 2,
        jti: randomUUID(),
        client_id: clientId,
      };
    } else {
      base = {
        exp: now + 300,
        iat: now,
        jti: randomUUID(),
        iss: issuer,
        aud: [options.audience, 'account'],
        sub: randomUUID(),
        typ: 'Bearer',
        azp: clientId,
        acr: '1',
        'allowed-origins': ['/*'],
        realm_access: { roles: ['offline_access', 'uma_authorization', 'default-roles-contacts'] },
        resource_access: { account: { roles: ['manage-account', 'view-profile'] } },
        scope: [...scopes, 'profile', 'email'].join(' '),
        clientHost: '127.0.0.1',
        email_verified: false,
        preferred_username: `service-account-${clientId}`,
        clientAddress: '127.0.0.1',
        client_id: clientId,
      };
    }
    const out = { ...base, ...overrides };
    for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
    return out;
  };

  const signRaw: ProductIssuer['signRaw'] = (header, payload, key = privateKey) => {
    const input = `${b64(header)}.${b64(typeof payload === 'string' ? payload : JSON.stringify(payload))}`;
    return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
  };
  const mint = (clientId: string, overrides?: Record<string, unknown>) =>
    signRaw(headerText(), claims(clientId, overrides));

  const discovery = () => {
    const common = {
      issuer,
      jwks_uri: `${issuer}${issuer.endsWith('/') ? '' : '/'}.well-known/jwks.json`,
      token_endpoint: `${origin}${tokenPath}`,
      response_types_supported: ['code', 'token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    };
    if (product === 'auth0') {
      return {
        ...common,
        authorization_endpoint: `${origin}/authorize`,
        device_authorization_endpoint: `${origin}/oauth/device/code`,
        userinfo_endpoint: `${origin}/userinfo`,
        mfa_challenge_endpoint: `${origin}/mfa/challenge`,
        revocation_endpoint: `${origin}/oauth/revoke`,
        token_endpoint_auth_methods_supported: [
          'client_secret_basic',
          'client_secret_post',
          'private_key_jwt',
        ],
        scopes_supported: ['openid', 'profile', 'offline_access', 'name', 'email'],
        request_uri_parameter_supported: false,
      };
    }
    if (product === 'cognito') {
      return {
        ...common,
        authorization_endpoint: `${origin}/oauth2/authorize`,
        end_session_endpoint: `${origin}/logout`,
        revocation_endpoint: `${origin}/oauth2/revoke`,
        userinfo_endpoint: `${origin}/oauth2/userInfo`,
        scopes_supported: ['openid', 'email', 'phone', 'profile'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      };
    }
    return {
      ...common,
      authorization_endpoint: `${issuer}/protocol/openid-connect/auth`,
      introspection_endpoint: `${issuer}/protocol/openid-connect/token/introspect`,
      grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
      token_endpoint_auth_methods_supported: [
        'private_key_jwt',
        'client_secret_basic',
        'client_secret_post',
        'tls_client_auth',
        'client_secret_jwt',
      ],
    };
  };

  async function token(req: IncomingMessage): Promise<[number, Record<string, unknown>]> {
    const text = await readBody(req);
    const contentType = req.headers['content-type']?.split(';')[0];
    let body: Record<string, unknown>;
    try {
      body =
        contentType === 'application/json'
          ? (JSON.parse(text) as Record<string, unknown>)
          : Object.fromEntries(new URLSearchParams(text));
    } catch {
      return [400, { error: 'invalid_request' }];
    }
    const auth = req.headers.authorization;
    tokenRequests.push({ contentType, basicAuth: auth?.startsWith('Basic ') === true, body });
    let id = body.client_id;
    let secret = body.client_secret;
    if (auth?.startsWith('Basic ')) {
      const [u, p] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      id = decodeURIComponent(u ?? '');
      secret = decodeURIComponent(p ?? '');
    }
    const client = options.clients.find((c) => c.id === id && c.secret === secret);
    if (body.grant_type !== 'client_credentials') return [400, { error: 'unsupported_grant_type' }];
    if (!client) return [401, { error: 'invalid_client' }];
    if (product === 'auth0') {
      if (body.audience !== options.audience)
        return [403, { error: 'access_denied', error_description: 'Service not enabled within domain' }];
      const access = mint(client.id);
      return [
        200,
        { access_token: access, scope: client.scopes.join(' '), expires_in: 86400, token_type: 'Bearer' },
      ];
    }
    if (product === 'cognito') {
      if (!auth?.startsWith('Basic ')) return [400, { error: 'invalid_client' }];
      if (typeof body.scope === 'string') {
        const allowed = client.scopes.map((s) => `${options.audience}/${s}`);
        if (!body.scope.split(' ').every((s) => allowed.includes(s)))
          return [400, { error: 'invalid_scope' }];
      }
      return [200, { access_token: mint(client.id), expires_in: 3600, token_type: 'Bearer' }];
    }
    return [
      200,
      {
        access_token: mint(client.id),
        expires_in: 300,
        refresh_expires_in: 0,
        token_type: 'Bearer',
        'not-before-policy': 0,
        scope: [...client.scopes, 'profile', 'email'].join(' '),
      },
    ];
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (
      req.method === 'GET' &&
      path === `${new URL(issuer).pathname.replace(/\/$/, '')}/.well-known/openid-configuration`
    ) {
      send(200, discovery());
      return;
    }
    if (req.method === 'GET' && path.endsWith('/.well-known/jwks.json')) {
      send(200, { keys: [jwk] });
      return;
    }
    if (req.method === 'POST' && path === tokenPath) {
      token(req).then(
        ([status, body]) => send(status, body),
        () => send(500, {}),
      );
      return;
    }
    send(404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (product === 'auth0') {
    issuer = `${origin}/`;
    tokenPath = '/oauth/token';
  } else if (product === 'cognito') {
    issuer = `${origin}/eu-west-1_AbCdEf123`;
    tokenPath = '/oauth2/token';
  } else {
    issuer = `${origin}/realms/contacts`;
    tokenPath = '/realms/contacts/protocol/openid-connect/token';
  }
  return {
    product,
    issuer,
    tokenEndpoint: `${origin}${tokenPath}`,
    kid,
    claims,
    headerText,
    signRaw,
    mint,
    tokenRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
