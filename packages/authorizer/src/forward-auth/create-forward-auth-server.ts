import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Authorizer } from '../authorizer/create-authorizer.ts';
import { toBearerResponse } from '../errors/bearer-response.ts';
import { InvalidRequest } from '../errors/errors.ts';
import { type AuthorizerLogger, silentLogger } from '../logging/logger.ts';
import {
  attachClientErrorAnswers,
  FORWARD_AUTH_SERVER_OPTIONS,
  MAX_CONCURRENT_CHECKS,
  refuseBusy,
  setSecurityHeaders,
} from './http-guard.ts';
import { readOriginalRequest } from './read-original-request.ts';

/** Options of {@link createForwardAuthServer}. */
export interface ForwardAuthServerOptions {
  readonly authorizer: Authorizer;
  /** Path prefix Envoy's `ext_authz` `http_service.path_prefix` adds (default `/envoy`). */
  readonly envoyPrefix?: string | undefined;
  readonly logger?: AuthorizerLogger | undefined;
}

const HEALTH_PATH = '/healthz';

/**
 * Creates the forward-auth HTTP server (not yet listening): proxies ask it whether a request may
 * pass. Allowed: 200 with `X-Auth-Client-Id` and `X-Auth-Scope` for the upstream. Refused: the
 * RFC 6750 answer (401 / 403 with `WWW-Authenticate`, 400, 503). A check request without the
 * original method or URI is refused (400), never allowed. `GET /healthz` says whether keys (and the
 * deny-list, and a remote policy) are held.
 * @see https://nginx.org/en/docs/http/ngx_http_auth_request_module.html
 * @see https://doc.traefik.io/traefik/middlewares/http/forwardauth/
 * @see https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/ext_authz_filter
 */
export function createForwardAuthServer(options: ForwardAuthServerOptions): Server {
  const { authorizer } = options;
  const envoyPrefix = (options.envoyPrefix ?? '/envoy').replace(/\/+$/, '');
  const logger = options.logger ?? silentLogger;

  function refuse(res: ServerResponse, error: InvalidRequest): void {
    const answer = toBearerResponse(error, authorizer);
    res.writeHead(answer.status, answer.headers).end(answer.body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url === HEALTH_PATH && req.method === 'GET') {
      // ready once keys, the deny-list (when a revocation feed is followed) and the policy are held
      const status = !authorizer.verifier.jwks.usable()
        ? 'keys-unavailable'
        : !authorizer.verifier.usable()
          ? 'revocations-unavailable'
          : authorizer.policy() === undefined
            ? 'policy-unavailable'
            : 'ok';
      res.writeHead(status === 'ok' ? 200 : 503, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
      });
      res.end(JSON.stringify({ status }));
      return;
    }
    const original = readOriginalRequest(req, envoyPrefix);
    if (!original.ok) {
      logger.warn(
        {
          code: 'ERR_FORWARD_AUTH_INCOMPLETE',
          dialect: original.dialect,
          url: original.dialect === null ? req.url : undefined,
        },
        'check request without the original method and URI (check the proxy configuration); refused',
      );
      refuse(res, new InvalidRequest('The check request does not carry the original method and URI'));
      return;
    }
    const result = await authorizer.authorize({
      method: original.method,
      path: original.path,
      authorization: req.headers.authorization,
    });
    if (!result.ok) {
      const answer = toBearerResponse(result.error, authorizer);
      res.writeHead(answer.status, answer.headers).end(answer.body);
      return;
    }
    res
      .writeHead(200, {
        'x-auth-client-id': result.auth.clientId,
        'x-auth-scope': result.auth.scopes.join(' '),
        'cache-control': 'no-store',
        'content-length': '0',
      })
      .end();
  }

  let inFlight = 0;
  const server = createServer(FORWARD_AUTH_SERVER_OPTIONS, (req, res) => {
    setSecurityHeaders(res);
    if (inFlight >= MAX_CONCURRENT_CHECKS) {
      refuseBusy(res);
      return;
    }
    inFlight++;
    res.once('close', () => inFlight--);
    handle(req, res).catch((error: unknown) => {
      logger.warn(
        { code: 'ERR_FORWARD_AUTH_FAILED', reason: (error as Error).message },
        'forward-auth check failed',
      );
      if (!res.headersSent)
        res.writeHead(503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end('{"error":"temporarily_unavailable"}');
    });
  });
  attachClientErrorAnswers(server);
  return server;
}
