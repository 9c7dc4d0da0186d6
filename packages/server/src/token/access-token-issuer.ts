/**
 * The client credentials grant after client authentication: resolve the API, the client's grant
 * and the scope, then sign an RFC 9068 access token.
 *
 * Scope: the token carries the requested scopes, or every granted scope when none is requested,
 * limited to scopes the API still defines. A grant with no scopes is allowed, as in Auth0: the
 * token then says `scope: ""` (the claim is always present, so verifiers never need a special
 * case), and the API decides what an empty scope may do.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2.2
 */
import { parseScope } from '@gatehouse/protocol';
import { AccessDenied, InvalidRequest, InvalidScope, InvalidTarget } from '../http/errors.ts';
import { type KeyRing, KeyRingError, type Signer } from '../keys/key-ring.ts';
import type {
  ClientGrantRecord,
  ClientRecord,
  ResourceServerRecord,
  SigningAlg,
  Store,
} from '../store/store.ts';
import type { JwtSigner } from './jwt-signer.ts';
import type { TokenParameters } from './token-parameters.ts';
import type { TokenReads } from './token-read-cache.ts';
import { createUlid } from './ulid.ts';

/** The successful token answer. @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1 */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

/** An issued token with what the endpoint logs and counts. */
export interface IssuedToken {
  response: TokenResponse;
  /** `response` as JSON, the body to send. */
  body: string;
  audience: string;
}

/** Dependencies of the issuer. */
export interface AccessTokenIssuerOptions {
  store: Store;
  keyRing: KeyRing;
  jwtSigner: JwtSigner;
  issuer: string;
  /** API used when the request names none. */
  defaultAudience: string | undefined;
}

/** Issues access tokens for authenticated clients. */
export interface AccessTokenIssuer {
  /**
   * Signs a token for an authenticated client. `issuedAtMs` must be taken before the client was
   * read from the store: a token may then only carry state read after its issue time, so a cut-off
   * set when that state changed (at a later time) catches every token that holds the old state.
   * `reads`: the request's snapshot of the token read cache (taken after `issuedAtMs`), else the store.
   */
  issue(
    client: ClientRecord,
    params: TokenParameters,
    issuedAtMs: number,
    reads?: TokenReads,
  ): Promise<IssuedToken>;
}

/**
 * Picks the target API from `audience` (Auth0) and `resource` (RFC 8707).
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
 */
export function selectAudience(params: TokenParameters, defaultAudience: string | undefined): string {
  let resource: string | undefined;
  if (params.resource !== undefined) {
    resource = params.resource[0]!;
    for (const r of params.resource) {
      if (r !== resource)
        throw new InvalidTarget('tokens are issued for one API at a time; several resources were requested');
    }
    if (!URL.canParse(resource) || resource.includes('#')) {
      throw new InvalidTarget('resource must be an absolute URI without a fragment');
    }
  }
  if (params.audience !== undefined && resource !== undefined && params.audience !== resource) {
    throw new InvalidRequest('audience and resource name different APIs');
  }
  const audience = params.audience ?? resource ?? defaultAudience;
  if (audience === undefined) {
    throw new InvalidRequest(
      'audience is required (or resource, RFC 8707): the identifier of the API the token is for',
    );
  }
  return audience;
}

/** The scopes the token carries; `invalid_scope` for a malformed or ungranted request. */
export function selectScopes(
  requested: string | undefined,
  granted: readonly string[],
  api: ResourceServerRecord,
): string[] {
  const defined = api.scopes;
  const available = granted.filter((s) => defined.some((d) => d.value === s));
  if (requested === undefined) return available;
  const wanted = parseScope(requested);
  if (wanted === null) throw new InvalidScope('scope is malformed');
  if (wanted.length === 0) return available;
  const missing = wanted.filter((s) => !available.includes(s));
  if (missing.length > 0) {
    const named = missing.slice(0, 5).join(' ').slice(0, 300);
    throw new InvalidScope(`scope not granted to this client for this API: ${named}`);
  }
  return wanted;
}

/**
 * What a token for one client, API and grant holds besides its times and id: the claims around
 * them as JSON text, the granted scope and the lifetime. Built once per grant record and reused
 * while the token read cache hands out the same (frozen) client, API and grant records; any write
 * to the store gives new records, and so a new shape.
 */
interface TokenShape {
  client: ClientRecord;
  api: ResourceServerRecord;
  /** `{"iss":…,"sub":…,"aud":…,"iat":` */
  head: string;
  /** `,"client_id":…,"azp":…,"scope":…,"gty":"client-credentials"}` */
  tail: string;
  scope: string;
  scopeJson: string;
  lifetime: number;
}

/** Creates the issuer. */
export function createAccessTokenIssuer(opts: AccessTokenIssuerOptions): AccessTokenIssuer {
  const { store, keyRing, jwtSigner, issuer, defaultAudience } = opts;
  const issuerJson = JSON.stringify(issuer);
  const shapes = new WeakMap<ClientGrantRecord, TokenShape>();

  // The claims JSON is written by hand, in the order and with the escaping JSON.stringify gives
  // (every string through JSON.stringify, iat and exp integers), so a token reads as it did.
  const shapeOf = (
    client: ClientRecord,
    api: ResourceServerRecord,
    grant: ClientGrantRecord,
    scope: string,
  ): TokenShape => {
    const clientJson = JSON.stringify(client.clientId);
    const scopeJson = JSON.stringify(scope);
    return {
      client,
      api,
      head: `{"iss":${issuerJson},"sub":${clientJson},"aud":${JSON.stringify(api.identifier)},"iat":`,
      tail: `,"client_id":${clientJson},"azp":${clientJson},"scope":${scopeJson},"gty":"client-credentials"}`,
      scope,
      scopeJson,
      lifetime: grant.tokenLifetime ?? api.tokenLifetime,
    };
  };

  /** The shape for a request that asks for no scope (the usual case): kept per grant record. */
  const grantedShape = (
    client: ClientRecord,
    api: ResourceServerRecord,
    grant: ClientGrantRecord,
  ): TokenShape => {
    const known = shapes.get(grant);
    if (known !== undefined && known.client === client && known.api === api) return known;
    const shape = shapeOf(client, api, grant, selectScopes(undefined, grant.scope, api).join(' '));
    if (Object.isFrozen(grant) && Object.isFrozen(client) && Object.isFrozen(api)) shapes.set(grant, shape);
    return shape;
  };

  const signerFor = async (alg: SigningAlg): Promise<Signer> => {
    try {
      return await keyRing.getSigner(alg);
    } catch (err) {
      // An API switched to a new algorithm by another instance: make the key now.
      if (!(err instanceof KeyRingError) || err.code !== 'ERR_NO_SIGNING_KEY') throw err;
      await keyRing.ensureSigningKey(alg);
      return keyRing.getSigner(alg);
    }
  };

  return {
    async issue(client, params, issuedAtMs, reads = store) {
      const audience = selectAudience(params, defaultAudience);
      const api = await reads.getResourceServerByIdentifier(audience);
      if (api === null) throw new InvalidTarget('no API has this identifier');
      const grant = await reads.findClientGrant(client.clientId, api.identifier);
      if (grant === null) throw new AccessDenied('the client is not authorized to access this API');
      const shape =
        params.scope === undefined
          ? grantedShape(client, api, grant)
          : shapeOf(client, api, grant, selectScopes(params.scope, grant.scope, api).join(' '));
      const { scope, lifetime } = shape;
      const signer = await signerFor(api.signingAlg);
      const iat = Math.floor(issuedAtMs / 1000);
      const payload = `${shape.head}${iat},"exp":${iat + lifetime},"jti":"${createUlid(issuedAtMs)}"${shape.tail}`;
      const accessToken = await jwtSigner.sign(signer, payload);
      return {
        response: { access_token: accessToken, token_type: 'Bearer', expires_in: lifetime, scope },
        // As JSON.stringify(response) writes it: a compact JWS needs no escaping.
        body: `{"access_token":"${accessToken}","token_type":"Bearer","expires_in":${lifetime},"scope":${shape.scopeJson}}`,
        audience: api.identifier,
      };
    },
  };
}
