import type { IssuerProfileOption, IssuerProfileResolver } from '../issuer-profile.ts';
import { readAudienceConfig, readProfileConfig, readProfileEnv } from './profile-config.ts';
import { ProfileSettingError } from './profile-errors.ts';
import { isIssuerProfileName, resolveProfile } from './resolve.ts';

/**
 * The Lambda authorizer's profile from its configuration: checks the name and its settings,
 * registers the profiles (through the core's `register`, passed in so this chunk imports nothing
 * from the core) and answers the `issuerProfile` and `audience` options.
 */
export function loadLambdaProfile(
  config: { readonly issuerProfile: string; readonly audience: string; readonly policy: unknown },
  env: Readonly<Record<string, string | undefined>>,
  register: (resolve: IssuerProfileResolver) => void,
): { issuerProfile: IssuerProfileOption; audience: string | string[] } {
  const name = config.issuerProfile;
  if (!isIssuerProfileName(name)) {
    throw new ProfileSettingError(
      'AUTHORIZER_ISSUER_PROFILE must be one of gatehouse, auth0, cognito, keycloak, generic',
    );
  }
  if (config.policy === 'remote') {
    throw new ProfileSettingError(`AUTHORIZER_POLICY remote follows a gatehouse server, not ${name}`);
  }
  register(resolveProfile);
  return {
    issuerProfile: readProfileConfig(name, readProfileEnv(env)),
    audience: readAudienceConfig(name, config.audience),
  };
}
