/** Management API shapes the console reads (Auth0's names). */

export interface Scope {
  value: string;
  description: string;
}

export interface RouteRule {
  method: string;
  path: string;
  scopes: string[];
}

export interface ResourceServer {
  id: string;
  identifier: string;
  name: string;
  scopes: Scope[];
  signing_alg: 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
  token_lifetime: number;
  routes: RouteRule[] | null;
  is_system: boolean;
}

export interface Client {
  client_id: string;
  name: string;
  description: string;
  token_endpoint_auth_method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  disabled: boolean;
  client_metadata: Record<string, string>;
}

export interface ClientWithSecret extends Client {
  client_secret: string;
  previous_secret_expires_at?: string | null;
}

export interface ClientGrant {
  id: string;
  client_id: string;
  audience: string;
  scope: string[];
  token_lifetime: number | null;
}

export interface SigningKey {
  kid: string;
  alg: string;
  current: boolean;
  next: boolean;
  previous: boolean;
  revoked: boolean;
  current_since?: string;
  current_until?: string;
  revoked_at?: string;
}

export interface Credential {
  id: string;
  credential_type: string;
  name: string;
  alg?: string;
  kid?: string;
  /** Federated credentials (docs/federation.md): the trusted issuer, subject (or pattern) and audience. */
  issuer?: string;
  subject?: string;
  audience?: string;
  jwks_uri?: string;
  issuer_kind?: string;
  created_at: string;
}

export interface LogEntry {
  log_id: string;
  date: string;
  type: string;
  description: string;
  client_id: string | null;
  client_name?: string | null;
  ip?: string;
  details?: {
    action?: string;
    outcome?: string;
    target?: { type: string; id: string };
    before?: unknown;
    after?: unknown;
    error?: { errorCode: string; message: string };
  };
}

export interface TokenStats {
  from: string;
  to: string;
  interval: string;
  buckets: string[];
  issued: Array<{
    client_id: string;
    client_name: string | null;
    audience: string;
    total: number;
    series: number[];
  }>;
  failures: Array<{ error: string; total: number; series: number[] }>;
  not_caching: Array<{
    client_id: string;
    client_name: string | null;
    audience: string;
    issued: number;
    token_lifetime: number;
    expected: number;
    ratio: number;
  }>;
}
