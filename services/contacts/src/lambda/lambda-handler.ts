/**
 * One Lambda handler per contacts operation, behind API Gateway (REST API, proxy integration) and
 * the gatehouse TOKEN Lambda authorizer. The authorizer has verified the token and the route's
 * scopes already; each handler checks the scopes again from the authorizer context
 * (`event.requestContext.authorizer.scope`) so a method deployed without the authorizer, or with
 * a cached policy wider than the route, fails closed.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import pino from 'pino';
import { CONTACTS_ROUTE_POLICY } from '../access/route-policy.ts';
import {
  type ContactsApi,
  type ContactsOperation,
  createContactsApi,
  problemResponse,
} from '../api/contacts-api.ts';
import { loadConfig } from '../config.ts';
import { InsufficientScopeError } from '../problems/errors.ts';
import type { ContactStore } from '../store/contact-store.ts';
import { createContactStore } from '../store/create-contact-store.ts';
import { toApiRequest, toProxyResult } from './lambda-request.ts';

/** The route of each operation in `CONTACTS_ROUTE_POLICY`. */
export const OPERATION_ROUTES: Readonly<Record<ContactsOperation, { method: string; path: string }>> = {
  list: { method: 'GET', path: '/contacts' },
  get: { method: 'GET', path: '/contacts/{id}' },
  create: { method: 'POST', path: '/contacts' },
  replace: { method: 'PUT', path: '/contacts/{id}' },
  delete: { method: 'DELETE', path: '/contacts/{id}' },
};

/** A Lambda handler for API Gateway REST proxy events. */
export type ContactsLambdaHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** Options of `createLambdaHandler`; by default the store and log level come from the environment. */
export interface LambdaHandlerOptions {
  store?: ContactStore;
  logger?: { error(object: object, message: string): void };
}

/** The scopes an operation needs, from the route policy. */
export function requiredScopes(operation: ContactsOperation): string[] {
  const { method, path } = OPERATION_ROUTES[operation];
  const route = CONTACTS_ROUTE_POLICY.routes.find((r) => r.method === method && r.path === path);
  if (!route) throw new Error(`No route policy for ${method} ${path}`);
  return route.scopes;
}

interface Runtime {
  api: ContactsApi;
  logger: NonNullable<LambdaHandlerOptions['logger']>;
}

let fromEnvironment: Runtime | undefined;

/** The store and logger configured by the environment, created once per container. */
function runtimeFromEnvironment(): Runtime {
  fromEnvironment ??= (() => {
    const config = loadConfig();
    const logger = pino({ level: config.logLevel });
    return { api: createApi(createContactStore(config), logger), logger };
  })();
  return fromEnvironment;
}

/** Creates the handler of one operation; without a `store` option it opens the configured one at first use. */
export function createLambdaHandler(
  operation: ContactsOperation,
  options: LambdaHandlerOptions = {},
): ContactsLambdaHandler {
  const scopes = requiredScopes(operation);
  let runtime: Runtime | undefined;

  return async (event) => {
    if (!runtime) {
      if (options.store) {
        const logger = options.logger ?? pino({ level: 'error' });
        runtime = { api: createApi(options.store, logger), logger };
      } else runtime = runtimeFromEnvironment();
    }
    const request = toApiRequest(event);
    const granted = grantedScopes(event);
    if (granted === null) {
      runtime.logger.error(
        { operation },
        'no authorizer context: put the gatehouse Lambda authorizer on this method',
      );
    }
    if (granted === null || !scopes.every((s) => granted.includes(s))) {
      return toProxyResult(problemResponse(new InsufficientScopeError(scopes), request, () => {}));
    }
    return toProxyResult(await runtime.api[operation](request));
  };
}

function createApi(store: ContactStore, logger: NonNullable<LambdaHandlerOptions['logger']>): ContactsApi {
  return createContactsApi({
    store,
    onServerError: (error, request) =>
      logger.error({ err: error, method: request.method, path: request.path }, 'contacts request failed'),
  });
}

/** The scopes the authorizer put in the context (a space-separated `scope`), or null without one. */
function grantedScopes(event: APIGatewayProxyEvent): string[] | null {
  const scope = event.requestContext?.authorizer?.scope;
  if (typeof scope !== 'string') return null;
  return scope.split(' ').filter((s) => s !== '');
}
