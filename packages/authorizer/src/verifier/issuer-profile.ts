import { ClaimInvalid, ConfigurationError } from '../errors/errors.ts';
import { readScopeClaim, requireStringClaim } from './claims.ts';

/** Issuer profiles named in DESIGN.md; only `gatehouse` is implemented so far (issue 10 adds the rest). */
export type IssuerProfileName = 'gatehouse' | 'auth0' | 'cognito' | 'keycloak' | 'generic';

/** How one kind of issuer shapes its access tokens: accepted `typ`, who the client is, its scopes. */
export interface IssuerProfile {
  readonly name: IssuerProfileName;
  isTypAccepted(typ: unknown): boolean;
  /** Checks the profile's required claims and reads the client id and scopes; throws `ClaimInvalid`. */
  readClaims(claims: Record<string, unknown>): { clientId: string; scopes: readonly string[] };
}

/**
 * RFC 9068 as gatehouse issues it: `typ` `at+jwt` (or `application/at+jwt`, case-insensitive),
 * required `sub`, `client_id`, `iat`, `jti`, and a space-separated `scope`.
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2
 */
export const gatehouseProfile: IssuerProfile = {
  name: 'gatehouse',
  isTypAccepted(typ) {
    if (typeof typ !== 'string') return false;
    const t = typ.toLowerCase();
    return t === 'at+jwt' || t === 'application/at+jwt';
  },
  readClaims(claims) {
    requireStringClaim(claims, 'sub');
    requireStringClaim(claims, 'jti');
    if (claims.iat === undefined) throw new ClaimInvalid('iat', 'missing');
    const clientId = requireStringClaim(claims, 'client_id');
    return { clientId, scopes: readScopeClaim(claims) };
  },
};

const PROFILE_NAMES: readonly string[] = ['gatehouse', 'auth0', 'cognito', 'keycloak', 'generic'];

/** Whether `value` is a profile name DESIGN.md lists. */
export function isIssuerProfileName(value: unknown): value is IssuerProfileName {
  return typeof value === 'string' && PROFILE_NAMES.includes(value);
}

/** The profile for a name; throws for names not implemented yet, so nothing falls back silently. */
export function resolveIssuerProfile(name: IssuerProfileName | undefined): IssuerProfile {
  if (name === undefined || name === 'gatehouse') return gatehouseProfile;
  throw new ConfigurationError(`issuer profile ${name} is not supported yet (only gatehouse)`);
}
