/**
 * `/admin`: the console's static files and its session endpoints.
 * - `POST /admin/session` signs in with a Management API client's id and secret: the server runs
 *   the client-credentials grant at its own token endpoint (no other way in) and keeps the token
 *   in the sealed session cookie. Failed sign-ins are rate-limited
 *   by the token endpoint's own limits (per client id and per source address, `limits/`).
 * - `GET /admin/session` tells the console who is signed in and hands it the CSRF token.
 * - `DELETE /admin/session` signs out: the token goes on the deny-list, the cookie is removed.
 * Everything else the console does goes through `/api/v2/*` with the session cookie and the CSRF
 * header in place of a bearer token, under the same scopes.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../http/app-env.ts';
import { readJsonBody } from '../http/body.ts';
import { createManagementErrorResponse, toManagementError } from '../http/error-response.ts';
import { BadRequest, ManagementError } from '../http/errors.ts';
import { managementAudience } from '../management/management-api.ts';
import { parseBody } from '../management/parse-input.ts';
import { describeError } from '../observability/describe-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { RevocationCheck } from '../revocation/revocation-check.ts';
import type { Store } from '../store/store.ts';
import type { AccessTokenVerifier } from '../token/access-token-verifier.ts';
import { CONSOLE_CSP, type ConsoleAsset, type ConsoleAssets } from './console-assets.ts';
import { type ConsoleSession, type ConsoleSessions, readCookie } from './console-session.ts';

/** The audit log's hook for console sign-in and sign-out (never given a secret). */
export interface ConsoleAudit {
  recordConsole(
    c: Context,
    event: { type: 's' | 'f' | 'slo'; clientId: string; sessionId?: string },
  ): Promise<void>;
}

/** Dependencies of the console routes. */
export interface ConsoleRoutesOptions {
  issuer: string;
  store: Store;
  sessions: ConsoleSessions;
  /** Checks the session's token on `GET /admin/session` as the Management API would (signature, deny-list, cut-offs). */
  verifier: AccessTokenVerifier;
  revocations: RevocationCheck;
  assets: ConsoleAssets;
  logger: Logger;
  /**
   * Sends a request to this server's own token endpoint (`app.fetch`) with the runtime bindings of
   * the sign-in request, so the token endpoint's failed-authentication limits (per client id and
   * per source address, `limits/`) apply to the sign-in exactly as to any token request.
   */
  tokenEndpoint: (req: Request, env: unknown) => Response | Promise<Response>;
  audit?: ConsoleAudit | undefined;
}

const signInSchema = z.strictObject({
  client_id: z.string().min(1, 'is required').max(128),
  client_secret: z.string().min(1, 'is required').max(512),
});

const tokenAnswerSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().int().positive(),
});

const HTML_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': CONSOLE_CSP,
  'Cache-Control': 'no-cache',
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gatehouse console not built</title></head>
<body><main><h1>The admin console has not been built</h1>
<p>The server is running, but the console's files are missing. Build them from the repository root with
<code>npm ci</code> (its prepare step builds the console) or <code>npm run build</code>, then reload this page.</p>
<p>The Management API at <code>/api/v2/</code> and the <code>gatehouse</code> CLI work without it.</p></main></body></html>`;

function tooManyAttempts(retryAfter: string | null): Response {
  const seconds = retryAfter !== null && /^\d{1,6}$/.test(retryAfter) ? retryAfter : '60';
  const body = {
    statusCode: 429,
    error: 'Too Many Requests',
    message: `Too many failed sign-ins; try again in ${seconds} seconds`,
    errorCode: 'too_many_attempts',
  };
  return new Response(JSON.stringify(body), {
    status: 429,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Retry-After': seconds },
  });
}

function serveAsset(asset: ConsoleAsset, cache: string): Response {
  return new Response(asset.body, {
    headers: { 'Content-Type': asset.type, 'Cache-Control': cache, 'Content-Security-Policy': CONSOLE_CSP },
  });
}

/** The payload part of a JWT we issued ourselves (already verified when it was obtained). */
function tokenClaims(token: string): { jti?: unknown; exp?: unknown } {
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null ? payload : {};
  } catch {
    return {};
  }
}

/** Creates the `/admin` routes. */
export function createConsoleRoutes(opts: ConsoleRoutesOptions): Hono<AppEnv> {
  const { issuer, store, sessions, assets, logger, audit } = opts;
  const audience = managementAudience(issuer);
  const app = new Hono<AppEnv>();

  const record = async (c: Context, event: Parameters<ConsoleAudit['recordConsole']>[1]) => {
    try {
      await audit?.recordConsole(c, event);
    } catch (err) {
      logger.error({ err: describeError(err) }, 'console audit record failed');
    }
  };
  const json = (body: unknown, status: number, cookies: string[] = []) => {
    const headers = new Headers({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    for (const cookie of cookies) headers.append('Set-Cookie', cookie);
    return new Response(status === 204 ? null : JSON.stringify(body), { status, headers });
  };
  const admin = new Hono<AppEnv>();
  admin.onError((err, c) => {
    const mapped = toManagementError(err);
    if (mapped === undefined) logger.error({ err: describeError(err) }, 'console request failed');
    const res = createManagementErrorResponse(mapped);
    if (
      mapped?.code === 'unauthorized' &&
      readCookie(c.req.header('cookie'), sessions.cookieName) !== undefined
    ) {
      res.headers.append('Set-Cookie', sessions.clearCookie());
    }
    return res;
  });

  admin.get('/assets/:name', async (c) => {
    const asset = await assets.asset(c.req.param('name'));
    if (asset === undefined) return c.text('Not Found', 404);
    return serveAsset(asset, 'public, max-age=31536000, immutable');
  });

  admin.get('/session', async (c) => {
    const read = sessions.read(c, { requireCsrf: false });
    if (read === undefined) throw new ManagementError('unauthorized', 'no_session', 'Not signed in');
    const claims = await opts.verifier.verify(read.session.token, { audience });
    if (claims === null || (await opts.revocations.isRevoked(claims))) {
      throw new ManagementError(
        'unauthorized',
        'session_ended',
        'The console session has ended; sign in again',
      );
    }
    return json(sessions.describe(read.session), 200, [read.setCookie]);
  });

  admin.post('/session', async (c) => {
    sessions.assertSameOrigin(c);
    const input = parseBody(signInSchema, await readJsonBody(c.req, 4096));
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      audience,
      client_id: input.client_id,
      client_secret: input.client_secret,
    });
    const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded' });
    const forwardedFor = c.req.header('x-forwarded-for');
    if (forwardedFor !== undefined) headers.set('x-forwarded-for', forwardedFor);
    const answer = await opts.tokenEndpoint(
      new Request(new URL('oauth/token', issuer), { method: 'POST', headers, body: form }),
      c.env,
    );
    if (answer.status === 429) {
      await record(c, { type: 'f', clientId: input.client_id });
      return tooManyAttempts(answer.headers.get('retry-after'));
    }
    const body: unknown = await answer.json().catch(() => undefined);
    if (answer.status >= 500) {
      throw new ManagementError(
        'service_unavailable',
        'service_unavailable',
        'Sign-in is unavailable right now; retry later',
      );
    }
    const granted = tokenAnswerSchema.safeParse(body);
    if (!answer.ok || !granted.success) {
      const error = typeof body === 'object' && body !== null && 'error' in body ? body.error : undefined;
      await record(c, { type: 'f', clientId: input.client_id });
      if (error === 'access_denied') {
        throw new ManagementError(
          'forbidden',
          'not_an_administrator',
          'This client has no grant for the Management API',
        );
      }
      throw new ManagementError('unauthorized', 'invalid_credentials', 'Wrong client id or client secret');
    }
    const started = sessions.start(input.client_id, granted.data.access_token, granted.data.expires_in);
    await record(c, { type: 's', clientId: input.client_id, sessionId: started.session.sid });
    return json(sessions.describe(started.session), 201, [started.setCookie]);
  });

  admin.delete('/session', async (c) => {
    const read = sessions.read(c, { requireCsrf: true });
    if (read === undefined) return json(null, 204, [sessions.clearCookie()]);
    await revokeSessionToken(read.session);
    await record(c, { type: 'slo', clientId: read.session.clientId, sessionId: read.session.sid });
    return json(null, 204, [sessions.clearCookie()]);
  });

  admin.all('*', () => {
    throw new ManagementError('not_found', 'inexistent_route', 'Not Found');
  });

  /** Deny-lists the session's token, so the cookie (and any copy of it) stops working everywhere. */
  async function revokeSessionToken(session: ConsoleSession): Promise<void> {
    const claims = tokenClaims(session.token);
    if (typeof claims.jti !== 'string' || typeof claims.exp !== 'number') {
      throw new BadRequest('invalid_session', 'The session token cannot be revoked');
    }
    await store.revokeToken({
      jti: claims.jti,
      audience,
      clientId: session.clientId,
      expiresAt: claims.exp * 1000,
    });
  }

  app.get('/admin', (c) => c.redirect('/admin/', 308));
  app.get('/admin/', async (c) => {
    const index = await assets.index();
    if (index === undefined) return c.html(NOT_BUILT, 503, { ...HTML_HEADERS, 'Retry-After': '60' });
    return serveAsset(index, 'no-cache');
  });
  app.route('/admin', admin);
  return app;
}
