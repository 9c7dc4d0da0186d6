import type { IssuerProfileName, IssuerProfileOption } from '../issuer-profile.ts';
import { ProfileSettingError } from './profile-errors.ts';

/** Profile settings as configuration strings (environment variables or CLI flags); empty: unset. */
export interface ProfileConfigText {
  /** `AUTHORIZER_RESOURCE_SERVER` / `--resource-server` (cognito). */
  readonly resourceServer?: string | undefined;
  /** `AUTHORIZER_SCOPE_CLAIM` / `--scope-claim` (generic). */
  readonly scopeClaim?: string | undefined;
  /** `AUTHORIZER_AUDIENCE_CLAIM` / `--audience-claim` (generic). */
  readonly audienceClaim?: string | undefined;
  /** `AUTHORIZER_CLIENT_ID_CLAIM` / `--client-id-claim` (generic). */
  readonly clientIdClaim?: string | undefined;
}

const VARIABLES: Record<keyof ProfileConfigText, [string, string, IssuerProfileName]> = {
  resourceServer: ['AUTHORIZER_RESOURCE_SERVER', '--resource-server', 'cognito'],
  scopeClaim: ['AUTHORIZER_SCOPE_CLAIM', '--scope-claim', 'generic'],
  audienceClaim: ['AUTHORIZER_AUDIENCE_CLAIM', '--audience-claim', 'generic'],
  clientIdClaim: ['AUTHORIZER_CLIENT_ID_CLAIM', '--client-id-claim', 'generic'],
};

/**
 * The `issuerProfile` option from configuration text; a setting given for a profile that does not
 * take it is an error (naming the variable and the flag), so a typo never weakens a check silently.
 */
export function readProfileConfig(name: IssuerProfileName, text: ProfileConfigText): IssuerProfileOption {
  const settings: Record<string, string> = {};
  for (const key of Object.keys(VARIABLES) as Array<keyof ProfileConfigText>) {
    const value = text[key];
    if (value === undefined || value === '') continue;
    const [variable, flag, profile] = VARIABLES[key];
    if (profile !== name) {
      throw new ProfileSettingError(`${flag} / ${variable} applies to the ${profile} issuer profile only`);
    }
    settings[key] = value;
  }
  if (name === 'cognito') return { name, resourceServer: settings.resourceServer };
  if (name === 'generic') {
    return {
      name,
      scopeClaim: settings.scopeClaim,
      audienceClaim: settings.audienceClaim,
      clientIdClaim: settings.clientIdClaim,
    };
  }
  return name;
}

/** The profile settings' text from the environment (the Lambda authorizer's `AUTHORIZER_*`). */
export function readProfileEnv(env: Readonly<Record<string, string | undefined>>): ProfileConfigText {
  const text: Record<string, string | undefined> = {};
  for (const [key, [variable]] of Object.entries(VARIABLES)) text[key] = env[variable];
  return text;
}

/**
 * The `audience` option from its configuration text: for `cognito` a comma-separated list of app
 * client ids (checked on `client_id`), for the other profiles the one API identifier.
 */
export function readAudienceConfig(name: IssuerProfileName, audience: string): string | string[] {
  if (name !== 'cognito') return audience;
  const ids = audience.split(',').map((id) => id.trim());
  if (ids.some((id) => id === '')) {
    throw new ProfileSettingError(
      'AUTHORIZER_AUDIENCE for cognito is a comma-separated list of app client ids',
    );
  }
  return ids;
}
