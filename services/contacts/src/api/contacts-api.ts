/**
 * The contacts HTTP API over the use cases, independent of the transport: each operation takes an
 * `ApiRequest` and always resolves to an `ApiResponse` (errors become RFC 9457 problem details).
 * @see https://www.rfc-editor.org/rfc/rfc9457
 */
import { type Contact, toContact } from '../contacts/contact.ts';
import { isContactId } from '../contacts/contact-id.ts';
import { parseContactReplacement, parseNewContact } from '../contacts/contact-input.ts';
import {
  type ContactsService,
  type ContactsServiceOptions,
  createContactsService,
} from '../contacts/contacts-service.ts';
import { formatEtag, parseIfMatch } from '../contacts/etag.ts';
import { ContactNotFoundError, ValidationError } from '../problems/errors.ts';
import { PROBLEM_CONTENT_TYPE, problemHeaders, toProblem } from '../problems/problem-details.ts';
import type { ApiRequest, ApiResponse } from './api-request.ts';
import { readJsonBody } from './read-json-body.ts';

/** The five operations; each never rejects. */
export interface ContactsApi {
  list(request: ApiRequest): Promise<ApiResponse>;
  get(request: ApiRequest): Promise<ApiResponse>;
  create(request: ApiRequest): Promise<ApiResponse>;
  replace(request: ApiRequest): Promise<ApiResponse>;
  delete(request: ApiRequest): Promise<ApiResponse>;
}

/** Names of the operations, as the Lambda handlers and the route policy use them. */
export type ContactsOperation = keyof ContactsApi;

/** Receives errors answered with a 5xx so the edge can log them; their details never reach the client. */
export type ServerErrorListener = (error: unknown, request: ApiRequest) => void;

/** Options of `createContactsApi`. */
export interface ContactsApiOptions extends ContactsServiceOptions {
  onServerError?: ServerErrorListener;
}

const JSON_TYPE = 'application/json';

/** Creates the transport-neutral contacts API. */
export function createContactsApi(options: ContactsApiOptions): ContactsApi {
  const service: ContactsService = createContactsService(options);
  const onServerError = options.onServerError ?? (() => {});

  const guard =
    (op: (request: ApiRequest) => Promise<ApiResponse>) =>
    async (request: ApiRequest): Promise<ApiResponse> => {
      try {
        return await op(request);
      } catch (error) {
        return problemResponse(error, request, onServerError);
      }
    };

  return {
    list: guard(async (request) => {
      const limit = singleQuery(request, 'limit');
      const cursor = singleQuery(request, 'cursor');
      const page = await service.list({
        ...(limit === undefined ? {} : { limit: parseLimit(limit) }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      return json(200, page);
    }),

    get: guard(async (request) => {
      const contact = await service.get(request.id ?? '');
      return json(200, toContact(contact), { etag: formatEtag(contact.version) });
    }),

    create: guard(async (request) => {
      const fields = parseNewContact(await readJsonBody(request));
      const contact = await service.create(fields);
      return json(201, toContact(contact), {
        location: `${request.path.replace(/\/+$/, '')}/${contact.id}`,
        etag: formatEtag(contact.version),
      });
    }),

    replace: guard(async (request) => {
      const id = request.id ?? '';
      // An id that cannot exist is a 404 before the body is looked at.
      if (!isContactId(id)) throw new ContactNotFoundError(id);
      const ifMatch = parseIfMatch(request.header('if-match'));
      const fields = parseContactReplacement(await readJsonBody(request));
      const contact = await service.replace(id, fields, ifMatch);
      return json(200, toContact(contact), { etag: formatEtag(contact.version) });
    }),

    delete: guard(async (request) => {
      await service.delete(request.id ?? '', parseIfMatch(request.header('if-match')));
      return { status: 204, headers: {}, body: null };
    }),
  };
}

/** Serializes any error as problem details. */
export function problemResponse(
  error: unknown,
  request: ApiRequest,
  onServerError: ServerErrorListener,
): ApiResponse {
  const { problem, logged } = toProblem(error);
  if (logged) onServerError(error, request);
  return {
    status: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...problemHeaders(error) },
    body: JSON.stringify(problem),
  };
}

function json(status: number, value: Contact | object, headers: Record<string, string> = {}): ApiResponse {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body: JSON.stringify(value) };
}

function singleQuery(request: ApiRequest, name: string): string | undefined {
  const values = request.query(name);
  if (values.length > 1)
    throw new ValidationError([{ parameter: name, detail: 'must be given at most once' }]);
  return values[0];
}

function parseLimit(raw: string): number {
  if (!/^[0-9]{1,3}$/.test(raw)) {
    throw new ValidationError([{ parameter: 'limit', detail: 'must be a whole number from 1 to 100' }]);
  }
  return Number(raw);
}
