import type { IssuerProfile, IssuerProfileFactory } from '../issuer-profile.ts';
import { isAtJwt, isPlainJwt, ownClaim, readScopeList, requireString } from './claim-readers.ts';
import { ClaimRefusal } from './profile-errors.ts';
import { assertIssuerShape, assertKnownSettings } from './profile-settings.ts';

/**
 * Keycloak service-account (client-credentials) access tokens: `iss` is the realm URL
 * (`https://host/realms/<realm>`, no trailing `/`), header `typ: JWT` (or `at+jwt` when the client
 * asks for RFC 9068 headers), claim `typ: Bearer` (ID and refresh tokens say `ID` and `Refresh`),
 * the client in `azp` and again in `client_id` (`clientId` before Keycloak 22), which only
 * service-account tokens carry. `aud` is checked by the verifier: Keycloak adds the API there with
 * an audience mapper.
 * @see https://www.keycloak.org/docs/latest/server_admin/#_service_accounts
 * @see https://www.keycloak.org/docs/latest/server_admin/#audience-support
 */
export const createKeycloakProfile: IssuerProfileFactory = (settings, context) => {
  assertKnownSettings(settings, []);
  assertIssuerShape('keycloak', context.issuer, false, 'https://keycloak.example/realms/<realm>');
  const profile: IssuerProfile = {
    name: 'keycloak',
    isTypAccepted: (typ) => isPlainJwt(typ) || isAtJwt(typ),
    readClaims(claims) {
      if (ownClaim(claims, 'typ') !== 'Bearer') throw new ClaimRefusal('typ', 'not Bearer');
      requireString(claims, 'sub');
      const clientId = requireString(claims, 'azp');
      const named = ownClaim(claims, 'client_id') ?? ownClaim(claims, 'clientId');
      if (named === undefined) throw new ClaimRefusal('client_id', 'missing (not a service-account token)');
      if (named !== clientId) throw new ClaimRefusal('client_id', 'differs from azp');
      if (claims.iat === undefined) throw new ClaimRefusal('iat', 'missing');
      return { clientId, scopes: readScopeList(ownClaim(claims, 'scope'), 'scope') };
    },
  };
  return profile;
};
