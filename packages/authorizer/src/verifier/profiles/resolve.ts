import type { IssuerProfileName, IssuerProfileResolver } from '../issuer-profile.ts';
import { createAuth0Profile } from './auth0.ts';
import { createCognitoProfile } from './cognito.ts';
import { createGenericProfile } from './generic.ts';
import { createKeycloakProfile } from './keycloak.ts';
import { adoptClaimRefusal } from './profile-errors.ts';

const FACTORIES = {
  auth0: createAuth0Profile,
  cognito: createCognitoProfile,
  keycloak: createKeycloakProfile,
  generic: createGenericProfile,
};

const NAMES: readonly IssuerProfileName[] = ['gatehouse', 'auth0', 'cognito', 'keycloak', 'generic'];

/** Whether `value` is a profile name DESIGN.md lists. */
export function isIssuerProfileName(value: unknown): value is IssuerProfileName {
  return typeof value === 'string' && (NAMES as readonly string[]).includes(value);
}

/**
 * Builds the profile an option names, its settings checked (a bad one is the core's
 * `ConfigurationError`); its refusals are the core's `ClaimInvalid` (401 invalid_token).
 */
export const resolveProfile: IssuerProfileResolver = (option, context, claimError, configError) => {
  adoptClaimRefusal(claimError);
  const settings: Readonly<Record<string, unknown>> =
    typeof option === 'object' && option !== null ? { ...option } : { name: option };
  const name = settings.name;
  if (!isIssuerProfileName(name)) {
    throw new configError(`issuerProfile must be one of ${NAMES.join(', ')}`);
  }
  if (name === 'gatehouse') throw new configError('issuer profile gatehouse takes no settings');
  try {
    return FACTORIES[name](settings, context);
  } catch (error) {
    throw new configError(error instanceof Error ? error.message : String(error));
  }
};
