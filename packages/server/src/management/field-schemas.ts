/** Zod schemas of the fields the Management API entities share, with their bounds. */
import { isScopeToken, MAX_SCOPE_TOKEN_LENGTH } from '@gatehouse/protocol';
import { z } from 'zod';

/** Printable ASCII without spaces: identifiers, audiences. */
const PRINTABLE = /^[\x21-\x7E]+$/;
/** No control characters and no angle brackets in display text (it ends up in HTML views). */
const DISPLAY_TEXT = /^[^\p{Cc}<>]*$/u;

/** Largest number of scopes an API defines or a grant holds. */
export const MAX_SCOPES = 200;

/** An API identifier (its tokens' audience). */
export const apiIdentifierSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(600, 'must be at most 600 characters')
  .regex(PRINTABLE, 'must be printable ASCII without spaces (a URI is recommended)');

/** A display name. */
export const nameSchema = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(DISPLAY_TEXT, 'must not contain control characters, < or >');

/** A free-text description. */
export const descriptionSchema = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .regex(DISPLAY_TEXT, 'must not contain control characters, < or >');

/** One scope token (RFC 6749 section 3.3). */
export const scopeTokenSchema = z
  .string()
  .refine(
    isScopeToken,
    `must be a scope token: 1 to ${MAX_SCOPE_TOKEN_LENGTH} printable ASCII characters, no spaces, " or \\`,
  );

/** A token lifetime in seconds. */
export const tokenLifetimeSchema = z
  .number({ error: 'must be a number of seconds' })
  .int('must be a whole number of seconds')
  .min(1, 'must be at least 1 second')
  .max(86400, 'must be at most 86400 seconds (24 hours)');

/** A signing algorithm. */
export const signingAlgSchema = z.enum(['RS256', 'PS256', 'ES256', 'EdDSA'], {
  error: 'must be one of RS256, PS256, ES256, EdDSA',
});

/** Client ids: generated ones are 32 alphanumerics; the bootstrap admin id from the environment may use . _ ~ - too. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;

/** A client id in a body. */
export const clientIdSchema = z
  .string()
  .regex(CLIENT_ID_PATTERN, 'must be a client id (1 to 128 characters of A-Z a-z 0-9 . _ ~ -)');

/** A list of distinct scope tokens. */
export const scopeListSchema = z
  .array(scopeTokenSchema)
  .max(MAX_SCOPES, `must hold at most ${MAX_SCOPES} scopes`)
  .refine((list) => new Set(list).size === list.length, 'must not repeat a scope');
