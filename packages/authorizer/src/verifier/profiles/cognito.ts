import type { IssuerProfile, IssuerProfileFactory } from '../issuer-profile.ts';
import { isPlainJwt, ownClaim, readScopeList, requireString } from './claim-readers.ts';
import { ClaimRefusal, ProfileSettingError } from './profile-errors.ts';
import { assertIssuerShape, assertKnownSettings } from './profile-settings.ts';

/**
 * Amazon Cognito user pool access tokens from the client-credentials grant. They carry no `aud`:
 * the verifier's `audience` is the allow-list of app client ids, checked on `client_id` (as
 * aws-jwt-verify does with `clientId`). `token_use` must be `access` (an ID token is refused), `sub`
 * equals `client_id` (user tokens are refused), and the header has no `typ`. Custom scopes are
 * `<resource server identifier>/<scope>`: with `resourceServer` set, those of that resource server
 * are read without the prefix and all others are dropped.
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-define-resource-servers.html
 */
export const createCognitoProfile: IssuerProfileFactory = (settings, context) => {
  assertKnownSettings(settings, ['resourceServer']);
  assertIssuerShape(
    'cognito',
    context.issuer,
    false,
    'https://cognito-idp.<region>.amazonaws.com/<userPoolId>',
  );
  const resourceServer = settings.resourceServer;
  if (
    resourceServer !== undefined &&
    (typeof resourceServer !== 'string' || resourceServer === '' || /[\s/]$/.test(resourceServer))
  ) {
    throw new ProfileSettingError(
      'cognito resourceServer must be the resource server identifier (without a trailing /)',
    );
  }
  const prefix = resourceServer === undefined ? undefined : `${resourceServer}/`;
  const clients = context.audiences;
  const mapped = new Map<string, readonly string[]>();
  const profile: IssuerProfile = {
    name: 'cognito',
    checksAudience: true,
    // Cognito's header is {kid, alg} alone; a typ would mean another kind of token
    isTypAccepted: (typ) => typ === undefined || isPlainJwt(typ),
    readClaims(claims) {
      if (ownClaim(claims, 'token_use') !== 'access') throw new ClaimRefusal('token_use', 'not access');
      const clientId = requireString(claims, 'client_id');
      if (clients !== null && !clients.includes(clientId)) {
        throw new ClaimRefusal('client_id', 'not an accepted app client');
      }
      if (requireString(claims, 'sub') !== clientId) {
        throw new ClaimRefusal('sub', 'is not the client (not a client-credentials token)');
      }
      if (claims.iat === undefined) throw new ClaimRefusal('iat', 'missing');
      const scope = ownClaim(claims, 'scope');
      const scopes = readScopeList(scope, 'scope');
      if (prefix === undefined || typeof scope !== 'string') return { clientId, scopes };
      // mapped once per scope string, like readScopeList
      let own = mapped.get(scope);
      if (own === undefined) {
        const list: string[] = [];
        for (const s of scopes)
          if (s.startsWith(prefix) && s.length > prefix.length) list.push(s.slice(prefix.length));
        own = Object.freeze(list);
        if (mapped.size >= 256) mapped.clear();
        mapped.set(scope, own);
      }
      return { clientId, scopes: own };
    },
  };
  return profile;
};
