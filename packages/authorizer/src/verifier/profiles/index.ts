/**
 * Registers the issuer profiles other than gatehouse's (docs/issuer-profiles.md) on import. The
 * package entry, the adapters and the forward-auth CLI import this module; the Lambda handler
 * registers `factories.ts` itself, only when `AUTHORIZER_ISSUER_PROFILE` names one of them.
 */
import { registerIssuerProfiles } from '../issuer-profile.ts';
import { resolveProfile } from './resolve.ts';

registerIssuerProfiles(resolveProfile);

export * from './factories.ts';
