/**
 * The issuer profiles other than gatehouse's (docs/issuer-profiles.md), built through
 * `resolveProfile`, and the readers of their configuration. Imports nothing from the verifier core
 * at run time: the Lambda bundle loads it as a chunk of its own, only when
 * `AUTHORIZER_ISSUER_PROFILE` names one of these profiles.
 */
export { loadLambdaProfile } from './lambda-profile.ts';
export {
  type ProfileConfigText,
  readAudienceConfig,
  readProfileConfig,
  readProfileEnv,
} from './profile-config.ts';
export { ProfileClaimError, ProfileSettingError } from './profile-errors.ts';
export { isIssuerProfileName, resolveProfile } from './resolve.ts';
