/**
 * Secretless clients (workload identity federation): the platform token a workload already holds
 * (a Kubernetes projected service-account token, a SPIFFE JWT-SVID, an AWS or GitHub Actions OIDC
 * token) sent as the RFC 7523 client assertion instead of a client secret.
 *
 * The token is read from where the platform keeps it fresh: a file the platform rewrites (a
 * projected volume, `/var/run/secrets/tokens/gatehouse`), an environment variable, or a callback.
 * A file is checked on every request (one `stat`) and read again as soon as it changed (the
 * kubelet swaps it atomically) or the copy in memory is close to its `exp`.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 * @see https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken
 */
import { readFile, stat } from 'node:fs/promises';
import { TokenClientConfigError, TokenRequestError } from './errors.ts';
import { JWT_BEARER_ASSERTION_TYPE } from './token-request.ts';

export { JWT_BEARER_ASSERTION_TYPE };

/** Answers the current platform token. */
export type AssertionSource = () => Promise<string>;

/** The `exp` of a JWT, in epoch seconds; undefined when it has none or is not a JWT. */
function readExp(jwt: string): number | undefined {
  const payload = jwt.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}

/** The token read from a source, checked to look like a JWT (never echoed in errors). */
function assertJwt(token: string, where: string): string {
  const trimmed = token.trim();
  if (trimmed === '') throw new TokenClientConfigError(`${where} is empty`);
  if (trimmed.split('.').length !== 3) throw new TokenClientConfigError(`${where} does not hold a JWT`);
  return trimmed;
}

/** Options of `createFileAssertionSource`. */
export interface FileAssertionSourceOptions {
  /** Seconds before `exp` at which the file is read again even if unchanged (default 60). */
  refreshBeforeExpirySeconds?: number;
  /** Clock, epoch ms (tests). */
  now?: () => number;
}

/** A platform token kept in a file the platform rotates (Kubernetes projected volume). */
export function createFileAssertionSource(
  path: string,
  opts: FileAssertionSourceOptions = {},
): AssertionSource {
  const early = opts.refreshBeforeExpirySeconds ?? 60;
  const now = opts.now ?? Date.now;
  let cached: { token: string; version: string; exp: number | undefined } | undefined;
  return async () => {
    let version: string;
    try {
      const s = await stat(path);
      version = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (err) {
      throw new TokenClientConfigError(
        `cannot read the platform token file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    const fresh = cached !== undefined && (cached.exp === undefined || cached.exp - early > now() / 1000);
    if (cached !== undefined && cached.version === version && fresh) return cached.token;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new TokenClientConfigError(
        `cannot read the platform token file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    const token = assertJwt(text, `the platform token file ${path}`);
    cached = { token, version, exp: readExp(token) };
    return token;
  };
}

/** A platform token in an environment variable (read on every call; `env` is injected, e.g. `process.env`). */
export function createEnvAssertionSource(
  name: string,
  env: Record<string, string | undefined>,
): AssertionSource {
  return async () => {
    const value = env[name];
    if (value === undefined) throw new TokenClientConfigError(`the environment variable ${name} is not set`);
    return assertJwt(value, `the environment variable ${name}`);
  };
}

/** Options of `requestFederatedToken`. */
export interface FederatedTokenRequest {
  tokenEndpoint: string;
  /** Where the platform token comes from (file, environment variable, or your own callback). */
  assertion: AssertionSource;
  /** Sent when given: needed only when several clients trust the same platform identity. */
  clientId?: string;
  audience?: string;
  scope?: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

/** The token endpoint's answer. */
export interface FederatedTokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
}

/**
 * One client-credentials token request authenticated by the platform token (read fresh from its
 * source for each request). Throws `TokenRequestError` when the server refuses.
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 */
export async function requestFederatedToken(req: FederatedTokenRequest): Promise<FederatedTokenResponse> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
    client_assertion: await req.assertion(),
  });
  if (req.clientId !== undefined) form.set('client_id', req.clientId);
  if (req.audience !== undefined) form.set('audience', req.audience);
  if (req.scope !== undefined) form.set('scope', req.scope);
  const res = await (req.fetch ?? globalThis.fetch)(req.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
    signal: AbortSignal.timeout(req.timeoutMs ?? 10_000),
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok || typeof body.access_token !== 'string') {
    throw new TokenRequestError(
      res.status,
      typeof body.error === 'string' ? body.error : 'invalid_response',
      typeof body.error_description === 'string' ? body.error_description : undefined,
    );
  }
  return body as unknown as FederatedTokenResponse;
}
