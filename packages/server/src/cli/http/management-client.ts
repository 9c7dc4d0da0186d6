/**
 * A small client for gatehouse's Management API (`/api/v2/`, Auth0 v2 shapes). It gets its own
 * bearer token with the client credentials grant for the audience `{issuer}api/v2/`, once per
 * process, and turns Auth0-shaped error bodies into `CliApiError`s.
 */
import { z } from 'zod';
import { CliApiError } from '../errors.ts';
import { requestToken } from './request-token.ts';
import { sendRequest } from './send-request.ts';

/** Where the server is and which admin client to act as. */
export interface ManagementConnection {
  /** Issuer URL, ending in `/`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/** Query parameters; undefined values are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

/** Calls to `/api/v2/{path}`; each resolves to the parsed JSON answer (undefined for 204). */
export interface ManagementClient {
  get(path: string, query?: Query): Promise<unknown>;
  post(path: string, body?: unknown): Promise<unknown>;
  patch(path: string, body: unknown): Promise<unknown>;
  /** PUT without a body (Auth0's `keys/signing/{kid}/revoke`). */
  put(path: string): Promise<unknown>;
  delete(path: string, query?: Query): Promise<unknown>;
}

const Auth0ErrorSchema = z.looseObject({
  statusCode: z.number().optional(),
  error: z.string().optional(),
  message: z.string().optional(),
  errorCode: z.string().optional(),
});

/** The audience of Management API tokens on a server with this issuer. */
export function createManagementAudience(issuer: string): string {
  return `${issuer}api/v2/`;
}

/** Words for a Management API error answer: status, reason, the server's message, its errorCode. */
export function describeApiError(status: number, statusText: string, body: unknown): CliApiError {
  const parsed = Auth0ErrorSchema.safeParse(body);
  const reason = (parsed.success && parsed.data.error) || statusText;
  const message = parsed.success ? parsed.data.message : undefined;
  const errorCode = parsed.success ? parsed.data.errorCode : undefined;
  let text = `${status}${reason ? ` ${reason}` : ''}`;
  if (message && message !== reason) text += `: ${message}`;
  if (errorCode) text += ` [${errorCode}]`;
  return new CliApiError(text, status, errorCode);
}

/** Creates a Management API client that authenticates lazily on its first call. */
export function createManagementClient(connection: ManagementConnection): ManagementClient {
  const base = new URL('api/v2/', connection.issuer);
  let token: Promise<string> | undefined;

  const getToken = () => {
    token ??= requestToken({
      issuer: connection.issuer,
      clientId: connection.clientId,
      clientSecret: connection.clientSecret,
      audience: createManagementAudience(connection.issuer),
      hints: {
        invalid_client:
          'check --client-id/--client-secret (or GATEHOUSE_ADMIN_CLIENT_ID/GATEHOUSE_ADMIN_CLIENT_SECRET)',
        invalid_target: `the server does not know the Management API audience ${createManagementAudience(connection.issuer)}; is --issuer (GATEHOUSE_ISSUER) exactly the server's issuer?`,
        access_denied: 'this client has no grant for the Management API; use an admin client',
      },
    }).then((answer) => answer.access_token);
    return token;
  };

  const call = async (method: string, path: string, query?: Query, body?: unknown): Promise<unknown> => {
    const url = new URL(path.replace(/^\//, ''), base);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${await getToken()}`,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const answer = await sendRequest(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (answer.status >= 200 && answer.status < 300) return answer.json;
    throw describeApiError(answer.status, answer.statusText, answer.json);
  };

  return {
    get: (path, query) => call('GET', path, query),
    post: (path, body) => call('POST', path, undefined, body ?? {}),
    patch: (path, body) => call('PATCH', path, undefined, body),
    put: (path) => call('PUT', path),
    delete: (path, query) => call('DELETE', path, query),
  };
}
