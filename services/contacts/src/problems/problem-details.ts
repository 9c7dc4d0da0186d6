/**
 * RFC 9457 problem details for every error the contacts service answers, and the one table that
 * maps error classes to status codes. Unknown errors become a generic 500 that says nothing about
 * the cause (the edge logs it).
 * @see https://www.rfc-editor.org/rfc/rfc9457
 */
import {
  ContactExistsError,
  ContactNotFoundError,
  type ContactsError,
  type FieldProblem,
  InsufficientScopeError,
  MalformedBodyError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  PreconditionFailedError,
  RouteNotFoundError,
  StoreUnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './errors.ts';

/** Media type of problem documents. @see https://www.rfc-editor.org/rfc/rfc9457#section-3 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem type URIs are `${PROBLEM_TYPE_BASE}<slug>`; listed in services/contacts/README.md. */
export const PROBLEM_TYPE_BASE = 'https://gatehouse.dev/problems/';

/** An RFC 9457 problem details object, with the `errors` extension for field problems. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldProblem[];
}

type ErrorClass = abstract new (...args: never[]) => ContactsError;

interface ProblemKind {
  status: number;
  slug: string;
  title: string;
}

/** The one mapping from error class to HTTP status and problem type. */
const PROBLEM_KINDS: ReadonlyArray<readonly [ErrorClass, ProblemKind]> = [
  [ValidationError, { status: 400, slug: 'validation-failed', title: 'Request is not valid' }],
  [MalformedBodyError, { status: 400, slug: 'malformed-body', title: 'Request body is not valid JSON' }],
  [ContactNotFoundError, { status: 404, slug: 'contact-not-found', title: 'Contact not found' }],
  [ContactExistsError, { status: 409, slug: 'contact-exists', title: 'Contact exists' }],
  [RouteNotFoundError, { status: 404, slug: 'not-found', title: 'Not found' }],
  [MethodNotAllowedError, { status: 405, slug: 'method-not-allowed', title: 'Method not allowed' }],
  [InsufficientScopeError, { status: 403, slug: 'insufficient-scope', title: 'Insufficient scope' }],
  [PreconditionFailedError, { status: 412, slug: 'precondition-failed', title: 'Precondition failed' }],
  [PayloadTooLargeError, { status: 413, slug: 'payload-too-large', title: 'Request body too large' }],
  [
    UnsupportedMediaTypeError,
    { status: 415, slug: 'unsupported-media-type', title: 'Unsupported media type' },
  ],
  [StoreUnavailableError, { status: 503, slug: 'store-unavailable', title: 'Service unavailable' }],
];

const INTERNAL: ProblemKind = { status: 500, slug: 'internal-error', title: 'Internal server error' };

/** Maps any thrown value to problem details; `logged` is true for 5xx, which the edge must log. */
export function toProblem(error: unknown): { problem: ProblemDetails; logged: boolean } {
  for (const [cls, kind] of PROBLEM_KINDS) {
    if (error instanceof cls) {
      const problem: ProblemDetails = {
        type: PROBLEM_TYPE_BASE + kind.slug,
        title: kind.title,
        status: kind.status,
        detail: error.message,
      };
      if (error instanceof ValidationError) problem.errors = error.errors;
      return { problem, logged: kind.status >= 500 };
    }
  }
  return {
    problem: {
      type: PROBLEM_TYPE_BASE + INTERNAL.slug,
      title: INTERNAL.title,
      status: INTERNAL.status,
      detail: 'The service failed to handle the request. It has been logged.',
    },
    logged: true,
  };
}

/** Extra response headers an error implies (`Allow` for 405, `Retry-After` for 503, the RFC 6750 challenge for 403). */
export function problemHeaders(error: unknown): Record<string, string> {
  if (error instanceof MethodNotAllowedError) return { allow: error.allow.join(', ') };
  if (error instanceof StoreUnavailableError) return { 'retry-after': '1' };
  if (error instanceof InsufficientScopeError) {
    return { 'www-authenticate': `Bearer error="insufficient_scope", scope="${error.required.join(' ')}"` };
  }
  return {};
}
