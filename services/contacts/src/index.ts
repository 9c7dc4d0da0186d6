/**
 * @gatehouse/contacts: the reference bounded context, a contacts CRUD API secured by gatehouse.
 * One core (`createContactsApi`) served by a Hono app (`createContactsApp`, bin
 * `gatehouse-contacts`) or by one Lambda handler per operation (`src/lambda/*.ts`).
 */
export {
  CONTACTS_ROUTE_POLICY,
  CONTACTS_SCOPES,
  type ContactsRoute,
  DEFAULT_CONTACTS_AUDIENCE,
} from './access/route-policy.ts';
export type { ApiRequest, ApiResponse } from './api/api-request.ts';
export { type ContactsApi, type ContactsOperation, createContactsApi } from './api/contacts-api.ts';
export { MAX_BODY_BYTES } from './api/read-json-body.ts';
export { ConfigError, type ContactsConfig, loadConfig } from './config.ts';
export type { Contact, ContactFields, StoredContact } from './contacts/contact.ts';
export { createContactId } from './contacts/contact-id.ts';
export { LIST_LIMITS } from './contacts/contacts-service.ts';
export { type ContactsAppOptions, type ContactsLogger, createContactsApp } from './http/app.ts';
export {
  type ContactsAuthorization,
  type ContactsAuthorizationOptions,
  createContactsAuthorization,
} from './http/authorization.ts';
export { type RunningContactsService, serveContacts } from './http/serve.ts';
export { type RunningServer, startServer } from './http/server.ts';
export { createLambdaHandler, OPERATION_ROUTES, requiredScopes } from './lambda/lambda-handler.ts';
export * from './problems/errors.ts';
export {
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_BASE,
  type ProblemDetails,
  toProblem,
} from './problems/problem-details.ts';
export type {
  ContactPage,
  ContactPageQuery,
  ContactReplacement,
  ContactStore,
} from './store/contact-store.ts';
export { createContactStore, createDynamoDbClient } from './store/create-contact-store.ts';
export { createDynamoDbContactStore } from './store/dynamodb-contact-store.ts';
export { createContactsTable, TableMismatchError } from './store/dynamodb-table.ts';
export { createSqliteContactStore, SQLITE_FILE_NAME } from './store/sqlite-contact-store.ts';
