/**
 * The console's only way to the server: the Management API at `/api/v2/` (and `/admin/session`
 * for signing in and out), with the HttpOnly session cookie and the session's CSRF token in
 * `X-CSRF-Token`. The CSRF token lives in this module's memory only: never in storage or the URL.
 */

/** An error answer of the Management API, Auth0's shape. */
export class ApiError extends Error {
  readonly status: number;
  readonly errorCode: string;
  constructor(status: number, errorCode: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.errorCode = errorCode;
  }
}

/** The signed-in session, as `/admin/session` describes it. */
export interface SessionInfo {
  client_id: string;
  session_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
  idle_timeout_seconds: number;
}

let csrfToken: string | undefined;
let onSignedOut: ((reason: string) => void) | undefined;

/** Called when the server says the session is gone (expired, signed out elsewhere). */
export function whenSignedOut(handler: (reason: string) => void): void {
  onSignedOut = handler;
}

async function send(method: string, url: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (csrfToken !== undefined) headers['x-csrf-token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  const data: unknown = text === '' ? null : JSON.parse(text);
  if (!res.ok) {
    const err = (data ?? {}) as { message?: string; errorCode?: string };
    const message =
      res.status === 429
        ? `${err.message ?? 'Too many attempts'} (retry after ${res.headers.get('retry-after') ?? '?'} s)`
        : (err.message ?? `${res.status} ${res.statusText}`);
    throw new ApiError(res.status, err.errorCode ?? 'error', message);
  }
  return data as T;
}

/** Calls the Management API; `path` is below `/api/v2/`. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(method, `/api/v2/${path}`, body);
  if (res.status === 401) {
    const err = await parse<never>(res).catch((e: unknown) => e);
    csrfToken = undefined;
    // The browser drops the cookie itself when its Max-Age (the idle timeout) passes.
    const reason =
      err instanceof ApiError && err.errorCode !== 'missing_authorization'
        ? err.message
        : 'Your session has expired or ended; sign in again.';
    onSignedOut?.(reason);
    throw err;
  }
  return parse<T>(res);
}

/** Reads every page of a Management API list. */
export async function listAll<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  for (let page = 0; page < 100; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const batch = await api<T[]>('GET', `${path}${sep}page=${page}&per_page=100`);
    items.push(...batch);
    if (batch.length < 100) break;
  }
  return items;
}

/** The current session, or undefined when not signed in. */
export async function currentSession(): Promise<SessionInfo | undefined> {
  const res = await send('GET', '/admin/session');
  if (res.status === 401) return undefined;
  const info = await parse<SessionInfo>(res);
  csrfToken = info.csrf_token;
  return info;
}

/** Signs in with a Management API client's id and secret. */
export async function signIn(clientId: string, clientSecret: string): Promise<SessionInfo> {
  const info = await parse<SessionInfo>(
    await send('POST', '/admin/session', { client_id: clientId, client_secret: clientSecret }),
  );
  csrfToken = info.csrf_token;
  return info;
}

/** Signs out: the server deny-lists the session's token and removes the cookie. */
export async function signOut(): Promise<void> {
  await parse<null>(await send('DELETE', '/admin/session'));
  csrfToken = undefined;
}
