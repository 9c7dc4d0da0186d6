/**
 * Gets an access token with the client credentials grant, authenticating with
 * `client_secret_basic`.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
import { z } from 'zod';
import { CliResponseError, CliTokenError } from '../errors.ts';
import { sendRequest } from './send-request.ts';

/** What is needed to ask for a token. */
export interface TokenRequest {
  /** Issuer URL, ending in `/`; the token endpoint is `{issuer}oauth/token`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  audience: string;
  /** Space-separated scopes to narrow the grant to; all granted scopes when absent. */
  scope?: string | undefined;
  /** Extra advice per OAuth error code, replacing the generic one (e.g. which flags to check). */
  hints?: Partial<Record<string, string>>;
}

const TokenAnswerSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.number().optional(),
  scope: z.string().optional(),
});

/** The token endpoint's successful answer (RFC 6749 section 5.1), other members kept. */
export type TokenAnswer = z.infer<typeof TokenAnswerSchema>;

const TokenErrorSchema = z.looseObject({
  error: z.string(),
  error_description: z.string().optional(),
});

const HINTS: Record<string, string> = {
  invalid_client: 'check the client id and secret',
  invalid_target:
    'no API has this audience on this server; check the audience and that the issuer URL is exactly the server issuer',
  access_denied: 'the client has no grant for this API',
  invalid_scope: 'the client is not granted that scope for this API',
};

/**
 * Encodes a client id or secret for HTTP Basic as RFC 6749 requires (form-urlencoded first).
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export function createBasicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/** Asks the token endpoint for a token; throws `CliTokenError` with the server's reason when refused. */
export async function requestToken(request: TokenRequest): Promise<TokenAnswer> {
  const url = new URL('oauth/token', request.issuer);
  const body = new URLSearchParams({ grant_type: 'client_credentials', audience: request.audience });
  if (request.scope) body.set('scope', request.scope);
  const answer = await sendRequest(url, {
    method: 'POST',
    headers: {
      authorization: createBasicAuthorization(request.clientId, request.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body,
  });
  if (answer.status >= 200 && answer.status < 300) {
    const parsed = TokenAnswerSchema.safeParse(answer.json);
    if (!parsed.success) {
      throw new CliResponseError(`${url.href} answered ${answer.status} without an access token`);
    }
    return parsed.data;
  }
  const refusal = TokenErrorSchema.safeParse(answer.json);
  if (!refusal.success) {
    throw new CliTokenError(
      `token request to ${url.href} failed: ${answer.status} ${answer.statusText}`.trimEnd(),
      answer.status,
      undefined,
    );
  }
  const { error, error_description: description } = refusal.data;
  const hint = request.hints?.[error] ?? HINTS[error];
  const text = `token request refused with ${answer.status} ${error}${description ? ` (${description})` : ''}${hint ? `; ${hint}` : ''}`;
  throw new CliTokenError(text, answer.status, error);
}
