/**
 * Errors raised by the profiles in this folder. The profile code imports nothing at run time from
 * the verifier core (so it stays a separate chunk of the Lambda bundle): refusals are thrown as the
 * class `resolveProfile` adopts from the core (`ClaimInvalid`, 401 invalid_token), with no wrapping
 * per token, and setting errors are turned into the core's `ConfigurationError` once.
 */

/** A claim a profile refuses: missing, of the wrong type, or with a value it does not accept. */
export class ProfileClaimError extends Error {
  override readonly name = 'ProfileClaimError';
  constructor(
    readonly claim: string,
    readonly problem: string,
  ) {
    super(`${claim} ${problem}`);
  }
}

/** The class refusals are thrown as: {@link ProfileClaimError} until the core lends its `ClaimInvalid`. */
export let ClaimRefusal: new (claim: string, problem: string) => Error = ProfileClaimError;

/** Throws the core's own refusal class from now on (called by `resolveProfile`). */
export function adoptClaimRefusal(refusal: new (claim: string, problem: string) => Error): void {
  ClaimRefusal = refusal;
}

/** A profile setting (option, flag or variable) that cannot work; the message names it. */
export class ProfileSettingError extends Error {
  override readonly name = 'ProfileSettingError';
}
