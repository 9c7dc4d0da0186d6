/**
 * The admin console's session: a Management API access token (obtained by the client-credentials
 * grant at sign-in) kept in a sealed, HttpOnly, SameSite=Strict cookie (Secure when the issuer is
 * HTTPS), with an idle and an absolute timeout, and a CSRF token bound to the session id that the
 * console sends in `X-CSRF-Token` on every call. Nothing is kept per instance: any instance with
 * the same KEK opens the session, and signing out deny-lists the token in the shared store, so
 * the cookie stops working on every instance at once.
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-4.1
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { z } from 'zod';
import { ManagementError } from '../http/errors.ts';
import type { SessionSealer } from './session-seal.ts';

/** Header the console sends the CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

/** What the sealed cookie holds. */
export interface ConsoleSession {
  /** Random session id (never the token): CSRF tokens and audit entries refer to it. */
  sid: string;
  clientId: string;
  /** The Management API access token. */
  token: string;
  /** Sign-in time, epoch ms. */
  createdAt: number;
  /** Last use, epoch ms. */
  seenAt: number;
  /** When the token expires, epoch ms: the session never outlives it. */
  tokenExpiresAt: number;
}

const sessionSchema = z.strictObject({
  sid: z.string().min(16).max(64),
  clientId: z.string().min(1).max(256),
  token: z.string().min(1).max(8192),
  createdAt: z.number().int(),
  seenAt: z.number().int(),
  tokenExpiresAt: z.number().int(),
});

/** Options of `createConsoleSessions`. */
export interface ConsoleSessionOptions {
  issuer: string;
  sealer: SessionSealer;
  /** Idle timeout in seconds. */
  idleSeconds: number;
  /** Absolute timeout in seconds (the token's own expiry ends a session sooner). */
  absoluteSeconds: number;
  now?: () => number;
}

/** The session as the console sees it (no token). */
export interface SessionInfo {
  client_id: string;
  session_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
  idle_timeout_seconds: number;
}

/** A session read from a request, and the refreshed cookie that extends its idle timeout. */
export interface ReadSession {
  session: ConsoleSession;
  setCookie: string;
}

/** Reads, writes and checks console sessions. */
export interface ConsoleSessions {
  /** Name of the session cookie (`__Host-` prefixed over HTTPS). */
  readonly cookieName: string;
  /** Starts a session for a freshly obtained token; returns it and its Set-Cookie value. */
  start(clientId: string, token: string, expiresInSeconds: number): ReadSession;
  /**
   * The request's session, or undefined when it carries no session cookie. Throws a 401
   * ManagementError for a bad or expired one and a 403 for a missing or wrong CSRF token or a
   * cross-site request (`requireCsrf` false only for the read that hands the CSRF token out).
   */
  read(c: Context, opts: { requireCsrf: boolean }): ReadSession | undefined;
  /** The Set-Cookie value that removes the session cookie. */
  clearCookie(): string;
  /** What the console may know of a session. */
  describe(session: ConsoleSession): SessionInfo;
  /** Throws 403 unless the request comes from the console's own origin (Origin / Sec-Fetch-Site). */
  assertSameOrigin(c: Context): void;
}

/** The cookie value named `name` in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Creates the console session manager. */
export function createConsoleSessions(opts: ConsoleSessionOptions): ConsoleSessions {
  const { sealer, idleSeconds, absoluteSeconds } = opts;
  const now = opts.now ?? Date.now;
  const issuerUrl = new URL(opts.issuer);
  const secure = issuerUrl.protocol === 'https:';
  const origin = issuerUrl.origin;
  const cookieName = secure ? '__Host-gatehouse_console' : 'gatehouse_console';
  const attributes = `Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;

  const endsAt = (s: ConsoleSession) =>
    Math.min(s.createdAt + absoluteSeconds * 1000, s.tokenExpiresAt, s.seenAt + idleSeconds * 1000);
  const cookieFor = (s: ConsoleSession) => {
    const maxAge = Math.max(0, Math.ceil((endsAt(s) - now()) / 1000));
    return `${cookieName}=${sealer.seal(JSON.stringify(s))}; ${attributes}; Max-Age=${maxAge}`;
  };
  const unauthorized = (errorCode: string, message: string) =>
    new ManagementError('unauthorized', errorCode, message);
  const forbidden = (errorCode: string, message: string) =>
    new ManagementError('forbidden', errorCode, message);

  const assertSameOrigin = (c: Context) => {
    const site = c.req.header('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      throw forbidden('cross_site_request', 'Console requests must come from the console itself');
    }
    const from = c.req.header('origin');
    if (from !== undefined && from !== origin) {
      throw forbidden('cross_site_request', `Console requests must come from ${origin}`);
    }
  };

  return {
    cookieName,
    start(clientId, token, expiresInSeconds) {
      const at = now();
      const session: ConsoleSession = {
        sid: randomBytes(18).toString('base64url'),
        clientId,
        token,
        createdAt: at,
        seenAt: at,
        tokenExpiresAt: at + expiresInSeconds * 1000,
      };
      return { session, setCookie: cookieFor(session) };
    },
    read(c, { requireCsrf }) {
      const raw = readCookie(c.req.header('cookie'), cookieName);
      if (raw === undefined || raw === '') return undefined;
      assertSameOrigin(c);
      const opened = sealer.open(raw);
      let parsed: z.ZodSafeParseResult<ConsoleSession> | undefined;
      if (opened !== null) {
        try {
          parsed = sessionSchema.safeParse(JSON.parse(opened));
        } catch {
          parsed = undefined;
        }
      }
      if (parsed === undefined || !parsed.success) {
        throw unauthorized('invalid_session', 'The console session is not valid; sign in again');
      }
      const session = parsed.data;
      if (requireCsrf) {
        const given = c.req.header(CSRF_HEADER);
        if (given === undefined || given === '') {
          throw forbidden(
            'csrf_token_missing',
            `Missing CSRF token: send the session's token in ${CSRF_HEADER}`,
          );
        }
        if (!sealer.verifyMac('csrf', session.sid, given)) {
          throw forbidden('csrf_token_mismatch', 'The CSRF token does not belong to this session');
        }
      }
      const at = now();
      if (at >= endsAt(session)) {
        const idle = at >= session.seenAt + idleSeconds * 1000;
        throw unauthorized(
          'session_expired',
          idle
            ? 'The console session expired after inactivity; sign in again'
            : 'The console session ended; sign in again',
        );
      }
      const refreshed = { ...session, seenAt: at };
      return { session: refreshed, setCookie: cookieFor(refreshed) };
    },
    clearCookie: () => `${cookieName}=; ${attributes}; Max-Age=0`,
    describe(session) {
      return {
        client_id: session.clientId,
        session_id: session.sid,
        csrf_token: sealer.mac('csrf', session.sid),
        created_at: new Date(session.createdAt).toISOString(),
        expires_at: new Date(
          Math.min(session.createdAt + absoluteSeconds * 1000, session.tokenExpiresAt),
        ).toISOString(),
        idle_timeout_seconds: idleSeconds,
      };
    },
    assertSameOrigin,
  };
}
