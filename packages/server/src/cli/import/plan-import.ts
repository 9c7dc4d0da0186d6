/**
 * Plans an Auth0 import against what gatehouse already holds, without writing anything: which
 * APIs, clients and grants to create, which already exist (so a second run changes nothing), what
 * is skipped and why, and conflicts that stop the import before its first write.
 */
import { createClientSchema } from '../../management/client-schemas.ts';
import { createResourceServerSchema } from '../../management/resource-server-schemas.ts';
import type { Auth0Client, Auth0Export, Auth0ResourceServer } from './auth0-export.ts';

/** The metadata key that remembers an imported client's Auth0 id (and finds it on a re-run). */
export const AUTH0_ID_KEY = 'auth0_client_id';

/** What gatehouse holds now (from its Management API). */
export interface ExistingState {
  readonly apis: readonly { readonly identifier: string; readonly scopes: readonly string[] }[];
  readonly clients: readonly {
    readonly client_id: string;
    readonly client_metadata: Readonly<Record<string, string>>;
  }[];
  readonly grants: readonly {
    readonly client_id: string;
    readonly audience: string;
    readonly scope: readonly string[];
  }[];
}

/** One thing to create, or found already there. */
export interface PlannedItem<Body> {
  readonly action: 'create' | 'exists';
  readonly label: string;
  readonly body: Body;
  /** Where the import had to differ from Auth0 (shown in the report). */
  readonly notes: readonly string[];
}

export interface PlannedClient
  extends PlannedItem<{
    name: string;
    description?: string;
    app_type: 'non_interactive';
    grant_types: ['client_credentials'];
    token_endpoint_auth_method: 'client_secret_basic' | 'client_secret_post';
    client_metadata: Record<string, string>;
  }> {
  readonly auth0Id: string;
  /** The gatehouse client id when it exists already. */
  readonly existingId: string | undefined;
}

export interface PlannedGrant extends PlannedItem<{ audience: string; scope: string[] }> {
  readonly auth0ClientId: string;
}

/** The whole plan. */
export interface ImportPlan {
  readonly apis: readonly PlannedItem<{
    identifier: string;
    name?: string;
    scopes: { value: string; description?: string }[];
    signing_alg: 'RS256' | 'PS256';
    token_lifetime: number;
  }>[];
  readonly clients: readonly PlannedClient[];
  readonly grants: readonly PlannedGrant[];
  readonly skipped: readonly {
    readonly kind: 'API' | 'client' | 'grant';
    readonly label: string;
    readonly reason: string;
  }[];
  readonly conflicts: readonly string[];
}

const MAX_LIFETIME = 86_400;
const METADATA_KEY = /^[A-Za-z0-9_-]{1,255}$/;

function firstIssue(result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}): string {
  const issue = result.error?.issues[0];
  return issue === undefined ? 'is invalid' : `${issue.path.map(String).join('.')}: ${issue.message}`;
}

function planApi(
  rs: Auth0ResourceServer,
  existing: ExistingState,
  conflicts: string[],
): ImportPlan['apis'][number] {
  const notes: string[] = [];
  let alg: 'RS256' | 'PS256' = 'RS256';
  if (rs.signing_alg === 'PS256') alg = 'PS256';
  else if (rs.signing_alg !== undefined && rs.signing_alg !== 'RS256') {
    notes.push(`signing_alg ${rs.signing_alg} becomes RS256 (verifiers need only the public JWKS)`);
  }
  let lifetime = rs.token_lifetime ?? MAX_LIFETIME;
  if (lifetime > MAX_LIFETIME) {
    notes.push(`token_lifetime ${lifetime}s shortened to ${MAX_LIFETIME}s (gatehouse's longest)`);
    lifetime = MAX_LIFETIME;
  }
  const body = {
    identifier: rs.identifier,
    ...(rs.name ? { name: rs.name.slice(0, 200) } : {}),
    scopes: (rs.scopes ?? []).map((s) => ({
      value: s.value,
      ...(s.description ? { description: s.description.slice(0, 500) } : {}),
    })),
    signing_alg: alg,
    token_lifetime: lifetime,
  };
  const check = createResourceServerSchema.safeParse(body);
  if (!check.success) conflicts.push(`API ${rs.identifier} cannot be created: ${firstIssue(check)}`);
  const found = existing.apis.find((a) => a.identifier === rs.identifier);
  if (found) {
    const missing = body.scopes.map((s) => s.value).filter((v) => !found.scopes.includes(v));
    if (missing.length > 0) {
      conflicts.push(`API ${rs.identifier} exists in gatehouse without the scopes ${missing.join(', ')}`);
    }
  }
  return { action: found ? 'exists' : 'create', label: rs.identifier, body, notes };
}

function planClient(client: Auth0Client, existing: ExistingState, conflicts: string[]): PlannedClient {
  const notes: string[] = [];
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(client.client_metadata ?? {})) {
    if (key === AUTH0_ID_KEY) continue;
    if (!METADATA_KEY.test(key) || value.length > 255 || Object.keys(metadata).length >= 9) {
      notes.push(`client_metadata ${key} not carried over`);
      continue;
    }
    metadata[key] = value;
  }
  metadata[AUTH0_ID_KEY] = client.client_id;
  let method: 'client_secret_basic' | 'client_secret_post' = 'client_secret_post';
  if (client.token_endpoint_auth_method === 'client_secret_basic') method = 'client_secret_basic';
  else if (client.token_endpoint_auth_method && client.token_endpoint_auth_method !== 'client_secret_post') {
    notes.push(`authenticates with a new secret instead of ${client.token_endpoint_auth_method}`);
  }
  const description = client.description?.slice(0, 140);
  if (client.description !== undefined && client.description.length > 140)
    notes.push('description shortened to 140 characters');
  const body: PlannedClient['body'] = {
    name: client.name.slice(0, 128),
    ...(description ? { description } : {}),
    app_type: 'non_interactive',
    grant_types: ['client_credentials'],
    token_endpoint_auth_method: method,
    client_metadata: metadata,
  };
  const check = createClientSchema.safeParse(body);
  if (!check.success) conflicts.push(`client ${client.client_id} cannot be created: ${firstIssue(check)}`);
  const found = existing.clients.find((c) => c.client_metadata[AUTH0_ID_KEY] === client.client_id);
  return {
    action: found ? 'exists' : 'create',
    label: client.name,
    auth0Id: client.client_id,
    existingId: found?.client_id,
    body,
    notes,
  };
}

function skipReason(client: Auth0Client): string | undefined {
  if (client.global) return "Auth0's global client (All Applications)";
  if (!(client.grant_types ?? []).includes('client_credentials')) {
    return `not a machine-to-machine client (app_type ${client.app_type ?? 'unknown'}, no client_credentials grant)`;
  }
  return undefined;
}

/** Plans the import of `data` into a gatehouse that holds `existing`. */
export function planImport(data: Auth0Export, existing: ExistingState): ImportPlan {
  const conflicts: string[] = [];
  const skipped: { kind: 'API' | 'client' | 'grant'; label: string; reason: string }[] = [];
  const apis: ImportPlan['apis'][number][] = [];
  const systemApis = new Set<string>();
  for (const rs of data.resource_servers) {
    if (rs.is_system) {
      systemApis.add(rs.identifier);
      skipped.push({ kind: 'API', label: rs.identifier, reason: "Auth0's own API (is_system)" });
    } else apis.push(planApi(rs, existing, conflicts));
  }
  const clients: PlannedClient[] = [];
  const skippedClients = new Set<string>();
  for (const client of data.clients) {
    const reason = skipReason(client);
    if (reason) {
      skippedClients.add(client.client_id);
      skipped.push({ kind: 'client', label: `${client.name} (${client.client_id})`, reason });
    } else clients.push(planClient(client, existing, conflicts));
  }
  const grants: PlannedGrant[] = [];
  for (const grant of data.client_grants) {
    const label = `${grant.client_id} -> ${grant.audience}`;
    if (systemApis.has(grant.audience) || skippedClients.has(grant.client_id)) {
      skipped.push({
        kind: 'grant',
        label,
        reason: systemApis.has(grant.audience) ? "for Auth0's own API" : 'its client is skipped',
      });
      continue;
    }
    const client = clients.find((c) => c.auth0Id === grant.client_id);
    if (!client) {
      conflicts.push(`grant ${label} names a client that is not in the export`);
      continue;
    }
    const api = apis.find((a) => a.body.identifier === grant.audience);
    const existingApi = existing.apis.find((a) => a.identifier === grant.audience);
    const defined = api?.body.scopes.map((s) => s.value) ?? existingApi?.scopes;
    if (defined === undefined) {
      conflicts.push(`grant ${label} names an API that is neither in the export nor in gatehouse`);
      continue;
    }
    const undefinedScopes = grant.scope.filter((s) => !defined.includes(s));
    if (undefinedScopes.length > 0) {
      conflicts.push(`grant ${label} has scopes its API does not define: ${undefinedScopes.join(', ')}`);
    }
    const found =
      client.existingId === undefined
        ? undefined
        : existing.grants.find((g) => g.client_id === client.existingId && g.audience === grant.audience);
    if (found) {
      const same =
        found.scope.length === grant.scope.length && grant.scope.every((s) => found.scope.includes(s));
      if (!same) {
        conflicts.push(
          `grant ${label} exists in gatehouse with other scopes (${found.scope.join(' ') || 'none'} instead of ${grant.scope.join(' ') || 'none'})`,
        );
      }
    }
    grants.push({
      action: found ? 'exists' : 'create',
      label: `${client.label} -> ${grant.audience}`,
      auth0ClientId: grant.client_id,
      body: { audience: grant.audience, scope: [...grant.scope] },
      notes: [],
    });
  }
  return { apis, clients, grants, skipped, conflicts };
}
