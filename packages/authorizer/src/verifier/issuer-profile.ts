import { ClaimInvalid, ConfigurationError } from '../errors/errors.ts';
import { isNonEmptyString, readScopeClaim } from './claims.ts';

/** Issuer profiles named in DESIGN.md (docs/issuer-profiles.md says what each reads and why). */
export type IssuerProfileName = 'gatehouse' | 'auth0' | 'cognito' | 'keycloak' | 'generic';

/** How one kind of issuer shapes its access tokens: accepted `typ`, who the client is, its scopes. */
export interface IssuerProfile {
  readonly name: IssuerProfileName;
  /**
   * True when the profile checks the audience itself, on a claim other than `aud` (Cognito's
   * `client_id`, a generic profile's own claim): the verifier then skips its `aud` check.
   */
  readonly checksAudience?: boolean | undefined;
  isTypAccepted(typ: unknown): boolean;
  /** Checks the profile's required claims and reads the client id and scopes; throws `ClaimInvalid`. */
  readClaims(claims: Record<string, unknown>): { clientId: string; scopes: readonly string[] };
}

/**
 * A profile by name, or by name with its settings (`cognito`: `resourceServer`; `generic`:
 * `scopeClaim`, `audienceClaim`, `clientIdClaim`, `typ`, `requireTyp`). docs/issuer-profiles.md.
 */
export type IssuerProfileOption =
  | IssuerProfileName
  | { readonly name: 'gatehouse' | 'auth0' | 'keycloak' }
  | { readonly name: 'cognito'; readonly resourceServer?: string | undefined }
  | {
      readonly name: 'generic';
      readonly scopeClaim?: string | undefined;
      readonly audienceClaim?: string | undefined;
      readonly clientIdClaim?: string | undefined;
      readonly typ?: readonly string[] | undefined;
      readonly requireTyp?: boolean | undefined;
    };

/** What a profile is built for: the verifier's issuer and audiences. */
export interface IssuerProfileContext {
  readonly issuer: string | null;
  readonly audiences: readonly string[] | null;
}

/** Builds a profile from its (untrusted) settings; throws `ProfileSettingError`. */
export type IssuerProfileFactory = (
  settings: Readonly<Record<string, unknown>>,
  context: IssuerProfileContext,
) => IssuerProfile;

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
    // each claim read by name (not claims[name]): a load the JIT keeps monomorphic
    const { sub, jti, iat, client_id: clientId } = claims;
    if (!isNonEmptyString(sub)) throw new ClaimInvalid('sub', 'missing');
    if (!isNonEmptyString(jti)) throw new ClaimInvalid('jti', 'missing');
    if (iat === undefined) throw new ClaimInvalid('iat', 'missing');
    if (!isNonEmptyString(clientId)) throw new ClaimInvalid('client_id', 'missing');
    return { clientId, scopes: readScopeClaim(claims) };
  },
};

/** `ClaimInvalid`, lent by the core to the profile code so its refusals are the core's own class. */
export type ClaimErrorClass = new (claim: string, problem: string) => Error;

/** `ConfigurationError`, lent the same way. */
export type ConfigErrorClass = new (message: string) => Error;

/** Builds a profile other than gatehouse from its option (`./profiles/resolve.ts`). */
export type IssuerProfileResolver = (
  option: Exclude<IssuerProfileOption, 'gatehouse'>,
  context: IssuerProfileContext,
  claimError: ClaimErrorClass,
  configError: ConfigErrorClass,
) => IssuerProfile;

// the other profiles live in ./profiles/ and are registered when that module is imported (the
// package entry, the adapters and the CLI do): the Lambda handler loads them only when configured,
// so the code a cold start reads first stays gatehouse's alone
let resolver: IssuerProfileResolver | undefined;

/** Makes the profiles other than gatehouse available (`./profiles/index.ts` does on import). */
export function registerIssuerProfiles(resolve: IssuerProfileResolver): void {
  resolver = resolve;
}

/** The profile for an option (default `gatehouse`); throws `ConfigurationError`, never falls back. */
export function resolveIssuerProfile(
  option: IssuerProfileOption | undefined,
  context: IssuerProfileContext,
): IssuerProfile {
  if (option === undefined || option === 'gatehouse') return gatehouseProfile;
  if (resolver === undefined) {
    throw new ConfigurationError('issuer profiles need @gatehouse/authorizer/profiles');
  }
  return resolver(option, context, ClaimInvalid, ConfigurationError);
}
