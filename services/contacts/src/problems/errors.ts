/**
 * Error classes of the contacts service, each with a stable `code`. They carry only what the
 * client may see; `problem-details.ts` maps them to HTTP statuses in one table.
 */

/** One problem with one input field (RFC 9457 section 3 "errors" extension member). */
export interface FieldProblem {
  /** JSON Pointer (URI fragment form) into the request body, e.g. `#/name`. */
  pointer?: string;
  /** Name of the query parameter at fault. */
  parameter?: string;
  /** Name of the request header at fault. */
  header?: string;
  detail: string;
}

/** Base class: every expected failure of the contacts service. */
export abstract class ContactsError extends Error {
  abstract readonly code: string;
}

/** The request is well-formed but one or more fields are invalid (body, query or header). */
export class ValidationError extends ContactsError {
  readonly code = 'ERR_CONTACTS_VALIDATION';
  constructor(
    readonly errors: FieldProblem[],
    message = 'One or more fields are not valid.',
  ) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** The body is not a readable JSON document (not UTF-8, empty, or a JSON syntax error). */
export class MalformedBodyError extends ContactsError {
  readonly code = 'ERR_CONTACTS_MALFORMED_BODY';
  constructor(message: string) {
    super(message);
    this.name = 'MalformedBodyError';
  }
}

/** No contact has the id in the path. */
export class ContactNotFoundError extends ContactsError {
  readonly code = 'ERR_CONTACTS_NOT_FOUND';
  constructor(readonly id: string) {
    super(`No contact has the id ${JSON.stringify(id)}.`);
    this.name = 'ContactNotFoundError';
  }
}

/** A contact with that id exists already (ids are generated, so this means a store bug or a replay). */
export class ContactExistsError extends ContactsError {
  readonly code = 'ERR_CONTACTS_EXISTS';
  constructor(readonly id: string) {
    super(`A contact with the id ${JSON.stringify(id)} exists already.`);
    this.name = 'ContactExistsError';
  }
}

/** The path names no resource of this API. */
export class RouteNotFoundError extends ContactsError {
  readonly code = 'ERR_CONTACTS_ROUTE_NOT_FOUND';
  constructor() {
    super('This API has no resource at that path.');
    this.name = 'RouteNotFoundError';
  }
}

/** The resource exists but does not support the method. */
export class MethodNotAllowedError extends ContactsError {
  readonly code = 'ERR_CONTACTS_METHOD_NOT_ALLOWED';
  constructor(readonly allow: readonly string[]) {
    super(`Allowed methods: ${allow.join(', ')}.`);
    this.name = 'MethodNotAllowedError';
  }
}

/**
 * A conditional write lost: the contact's current version is not the one the client named in
 * `If-Match` (someone else changed it first).
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-13.1.1
 */
export class PreconditionFailedError extends ContactsError {
  readonly code = 'ERR_CONTACTS_PRECONDITION_FAILED';
  constructor(message = 'The contact has changed since the version named in If-Match; fetch it again.') {
    super(message);
    this.name = 'PreconditionFailedError';
  }
}

/**
 * The caller's token lacks a scope the operation needs. Normally the authorizer answers this
 * before the service runs; the Lambda handlers check again from the authorizer context.
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
export class InsufficientScopeError extends ContactsError {
  readonly code = 'ERR_CONTACTS_INSUFFICIENT_SCOPE';
  constructor(readonly required: readonly string[]) {
    super(`This operation needs the scope ${required.join(' ')}.`);
    this.name = 'InsufficientScopeError';
  }
}

/** The body is larger than the service accepts. */
export class PayloadTooLargeError extends ContactsError {
  readonly code = 'ERR_CONTACTS_PAYLOAD_TOO_LARGE';
  constructor(readonly limitBytes: number) {
    super(`The request body must not exceed ${limitBytes} bytes.`);
    this.name = 'PayloadTooLargeError';
  }
}

/** The body is not `application/json`. */
export class UnsupportedMediaTypeError extends ContactsError {
  readonly code = 'ERR_CONTACTS_UNSUPPORTED_MEDIA_TYPE';
  constructor(message = 'The request body must be application/json (UTF-8).') {
    super(message);
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** The back-end store cannot be reached or refuses work for now; the client may retry. */
export class StoreUnavailableError extends ContactsError {
  readonly code = 'ERR_CONTACTS_STORE_UNAVAILABLE';
  constructor(options?: { cause?: unknown }) {
    super('The contacts store is unavailable; try again shortly.', options);
    this.name = 'StoreUnavailableError';
  }
}
