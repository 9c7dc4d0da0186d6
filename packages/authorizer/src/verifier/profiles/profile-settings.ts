import { ProfileSettingError } from './profile-errors.ts';

/** Refuses settings a profile does not know, so a misspelt option never passes silently. */
export function assertKnownSettings(
  settings: Readonly<Record<string, unknown>>,
  known: readonly string[],
): void {
  for (const key of Object.keys(settings)) {
    if (key !== 'name' && !known.includes(key)) {
      throw new ProfileSettingError(
        `issuer profile ${String(settings.name)} has no setting ${key}${known.length > 0 ? ` (it takes ${known.join(', ')})` : ''}`,
      );
    }
  }
}

/**
 * Refuses an issuer whose trailing `/` does not match the profile's issuer shape: `iss` is compared
 * exactly, so `https://tenant.auth0.com` or `https://cognito-idp.../pool/` would refuse every token.
 */
export function assertIssuerShape(
  profile: string,
  issuer: string | null,
  trailingSlash: boolean,
  example: string,
): void {
  if (issuer === null || issuer.endsWith('/') === trailingSlash) return;
  throw new ProfileSettingError(
    `issuer ${issuer} cannot match ${profile} tokens: their iss ${trailingSlash ? 'ends' : 'does not end'} with "/" (${example})`,
  );
}

const CLAIM_NAME = /^[A-Za-z_][A-Za-z0-9_:.-]{0,63}$/;
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

/** Reads an optional claim-name setting (a plain top-level claim name). */
export function readClaimNameSetting(
  settings: Readonly<Record<string, unknown>>,
  key: string,
  fallback: string,
): string {
  const value = settings[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !CLAIM_NAME.test(value) || RESERVED.has(value)) {
    throw new ProfileSettingError(`issuer profile setting ${key} must be a claim name such as ${fallback}`);
  }
  return value;
}
