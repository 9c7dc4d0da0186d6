import type { IssuerProfile, IssuerProfileFactory } from '../issuer-profile.ts';
import { isAtJwt, isPlainJwt, ownClaim, readScopeList, requireString } from './claim-readers.ts';
import { ClaimRefusal } from './profile-errors.ts';
import { assertIssuerShape, assertKnownSettings } from './profile-settings.ts';

/**
 * Auth0 machine-to-machine access tokens, in both of Auth0's token profiles: the default one
 * (header `typ: JWT`; `azp`, `gty: client-credentials`) and the RFC 9068 one (`typ: at+jwt`;
 * `client_id`, `jti`). `sub` is `<client id>@clients` in both: user tokens are refused. `aud` (string
 * or array) is checked by the verifier; scopes are `scope` plus, with RBAC's "Add Permissions in the
 * Access Token", the `permissions` array.
 * @see https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles
 * @see https://auth0.com/docs/get-started/authentication-and-authorization-flow/client-credentials-flow
 */
export const createAuth0Profile: IssuerProfileFactory = (settings, context) => {
  assertKnownSettings(settings, []);
  assertIssuerShape('auth0', context.issuer, true, 'https://your-tenant.auth0.com/');
  const profile: IssuerProfile = {
    name: 'auth0',
    isTypAccepted: (typ) => isPlainJwt(typ) || isAtJwt(typ),
    readClaims(claims) {
      const sub = requireString(claims, 'sub');
      const azp = ownClaim(claims, 'azp');
      const clientId =
        ownClaim(claims, 'client_id') === undefined
          ? requireString(claims, 'azp')
          : requireString(claims, 'client_id');
      if (azp !== undefined && azp !== clientId) throw new ClaimRefusal('azp', 'differs from client_id');
      // Auth0 marks client-credentials tokens by this subject; a user's token for the API has auth0|...
      if (sub !== `${clientId}@clients`) throw new ClaimRefusal('sub', 'is not a client-credentials subject');
      const gty = ownClaim(claims, 'gty');
      if (gty !== undefined && gty !== 'client-credentials')
        throw new ClaimRefusal('gty', 'not client-credentials');
      if (claims.iat === undefined) throw new ClaimRefusal('iat', 'missing');
      const scopes = readScopeList(ownClaim(claims, 'scope'), 'scope');
      const permissions = ownClaim(claims, 'permissions');
      if (permissions !== undefined && !Array.isArray(permissions)) {
        throw new ClaimRefusal('permissions', 'not an array');
      }
      const granted = readScopeList(permissions, 'permissions', true);
      return {
        clientId,
        scopes: granted.length === 0 ? scopes : [...new Set([...scopes, ...granted])],
      };
    },
  };
  return profile;
};
