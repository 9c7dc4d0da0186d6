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

const AUTHORIZATION = 'authorization';

/**
 * The `Authorization` header(s) in a Node raw header list (`req.rawHeaders`), read in place: no
 * header object is built (Node builds `req.headers` on first use, a cost per request). Several
 * headers come back as an array, which the authorizer refuses (400), where `req.headers` would keep
 * only the first.
 */
export function authorizationOfRaw(raw: readonly unknown[]): string | string[] | undefined {
  let found: string | string[] | undefined;
  for (let i = 0; i < raw.length - 1; i += 2) {
    const name = raw[i] as string;
    if (name.length !== AUTHORIZATION.length || name.toLowerCase() !== AUTHORIZATION) continue;
    const value = raw[i + 1] as string;
    found = found === undefined ? value : typeof found === 'string' ? [found, value] : [...found, value];
  }
  return found;
}
