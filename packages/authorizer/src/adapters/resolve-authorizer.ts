import {
  type Authorizer,
  type AuthorizerOptions,
  createAuthorizer,
} from '../authorizer/create-authorizer.ts';
// every adapter takes any issuer profile by name (docs/issuer-profiles.md)
import '../verifier/profiles/index.ts';

/** What every adapter accepts: an authorizer to share, or the options to create one. */
export type AdapterOptions = Authorizer | AuthorizerOptions;

/** Returns the given authorizer, or creates one from options. */
export function resolveAuthorizer(options: AdapterOptions): Authorizer {
  return isAuthorizer(options) ? options : createAuthorizer(options);
}

function isAuthorizer(options: AdapterOptions): options is Authorizer {
  return typeof (options as Partial<Authorizer>).authorize === 'function';
}

/** The raw request target (path and query) of an absolute URL string, without parsing it again. */
export function targetOfUrl(url: string): string {
  const scheme = url.indexOf('://');
  const slash = url.indexOf('/', scheme === -1 ? 0 : scheme + 3);
  return slash === -1 ? '/' : url.slice(slash);
}
