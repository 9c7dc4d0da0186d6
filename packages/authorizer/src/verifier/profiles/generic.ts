import type { IssuerProfile, IssuerProfileFactory } from '../issuer-profile.ts';
import { namesAudience, ownClaim, readScopeList, requireString } from './claim-readers.ts';
import { ClaimRefusal, ProfileSettingError } from './profile-errors.ts';
import { assertKnownSettings, readClaimNameSetting } from './profile-settings.ts';

const DEFAULT_TYP = ['at+jwt', 'application/at+jwt', 'jwt'];

/**
 * Any OpenID Connect / RFC 8414 server (oidc-provider, ORY Hydra, ...) whose access tokens are JWTs:
 * the claims holding the scopes (`scopeClaim`, default `scope`: a space-separated string or an
 * array), the audience (`audienceClaim`, default `aud`) and the client (`clientIdClaim`, default
 * `client_id`) are settings, as are the accepted header `typ` values (default `at+jwt`,
 * `application/at+jwt`, `JWT`; a token without `typ` only with `requireTyp: false`).
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2.2
 * @see https://www.rfc-editor.org/rfc/rfc8725#section-3.11
 */
export const createGenericProfile: IssuerProfileFactory = (settings, context) => {
  assertKnownSettings(settings, ['scopeClaim', 'audienceClaim', 'clientIdClaim', 'typ', 'requireTyp']);
  const scopeClaim = readClaimNameSetting(settings, 'scopeClaim', 'scope');
  const audienceClaim = readClaimNameSetting(settings, 'audienceClaim', 'aud');
  const clientIdClaim = readClaimNameSetting(settings, 'clientIdClaim', 'client_id');
  const typ = settings.typ ?? DEFAULT_TYP;
  if (
    !Array.isArray(typ) ||
    typ.length === 0 ||
    !typ.every((t) => typeof t === 'string' && /^[\x21-\x7e]{1,64}$/.test(t))
  ) {
    throw new ProfileSettingError('generic typ must be a list of accepted typ header values');
  }
  const accepted = typ.map((t: string) => t.toLowerCase());
  const requireTyp = settings.requireTyp ?? true;
  if (typeof requireTyp !== 'boolean') throw new ProfileSettingError('generic requireTyp must be a boolean');
  const audiences = context.audiences;
  const ownAudience = audienceClaim !== 'aud';
  const profile: IssuerProfile = {
    name: 'generic',
    checksAudience: ownAudience,
    isTypAccepted: (value) =>
      value === undefined ? !requireTyp : typeof value === 'string' && accepted.includes(value.toLowerCase()),
    readClaims(claims) {
      if (ownAudience && audiences !== null && !namesAudience(ownClaim(claims, audienceClaim), audiences)) {
        throw new ClaimRefusal(audienceClaim, 'mismatch');
      }
      if (ownClaim(claims, clientIdClaim) === undefined) throw new ClaimRefusal(clientIdClaim, 'missing');
      const clientId = requireString(claims, clientIdClaim);
      return { clientId, scopes: readScopeList(ownClaim(claims, scopeClaim), scopeClaim, true) };
    },
  };
  return profile;
};
