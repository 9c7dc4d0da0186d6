/**
 * Fastify: `registerFastifyAuthorizer(app, { issuer, audience, policy })` adds an `onRequest` hook
 * (and `request.auth`); `createFastifyHook` gives the hook alone, for a plugin's own scope.
 * The path judged is the raw `request.url`. Refusals are answered here (RFC 6750).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthContext, Authorizer } from '../authorizer/create-authorizer.ts';
import { toBearerResponse } from '../errors/bearer-response.ts';
import { type AdapterOptions, authorizationOfRaw, resolveAuthorizer } from './resolve-authorizer.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, set by gatehouse's authorizer hook (null before it runs). */
    auth: AuthContext | null;
  }
}

/** An `onRequest` hook that authorizes the request. */
export type FastifyAuthorizerHook = ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) & {
  readonly authorizer: Authorizer;
};

/** Creates the `onRequest` hook; `.authorizer` is the core it uses. */
export function createFastifyHook(options: AdapterOptions): FastifyAuthorizerHook {
  const authorizer = resolveAuthorizer(options);
  const hook = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const facts = {
      method: request.method,
      path: request.url,
      authorization: authorizationOfRaw(request.raw.rawHeaders),
    };
    // the common case decides without waiting on a promise
    const result = authorizer.authorizeNow(facts) ?? (await authorizer.authorize(facts));
    if (!result.ok) {
      const answer = toBearerResponse(result.error, authorizer);
      await reply.code(answer.status).headers(answer.headers).send(answer.body);
      return;
    }
    request.auth = result.auth;
  };
  return Object.assign(hook, { authorizer });
}

/** Decorates `request.auth`, adds the hook to `app` and closes the authorizer with the app. */
export function registerFastifyAuthorizer(app: FastifyInstance, options: AdapterOptions): Authorizer {
  const hook = createFastifyHook(options);
  if (!app.hasRequestDecorator('auth')) app.decorateRequest('auth', null);
  app.addHook('onRequest', hook);
  app.addHook('onClose', async () => hook.authorizer.close());
  return hook.authorizer;
}
