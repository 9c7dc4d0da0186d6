/**
 * `/api/v2/clients`: the calling services. A new client's secret, and a rotated one, is in that
 * one answer and nowhere else: the store keeps only its keyed hash.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { BadRequest, NotFound } from '../http/errors.ts';
import { createClientId } from '../ids.ts';
import { generateClientSecret, type SecretHasher, secretId } from '../keys/client-secret.ts';
import type { ClientRecord, ClientSecretRecord, Store } from '../store/store.ts';
import { type Audit, recordChange } from './audit.ts';
import { revokeClientTokensSchema } from './blacklist-schemas.ts';
import {
  createClientSchema,
  rotateSecretQuerySchema,
  rotateSecretSchema,
  toClientResponse,
  updateClientSchema,
} from './client-schemas.ts';
import { CLIENT_ID_PATTERN } from './field-schemas.ts';
import type { ManagementAuth, ManagementEnv } from './management-auth.ts';
import { formatPage, pagingQueryShape, toPaging } from './paging.ts';
import { parsePathParam, parseQuery, readBody, readOptionalBody } from './parse-input.ts';
import { updateClientAsRead } from './update-client-as-read.ts';

/** Dependencies of the client routes. */
export interface ClientRoutesOptions {
  store: Store;
  hasher: SecretHasher;
  auth: ManagementAuth;
  audit: Audit;
}

const listQuery = z.strictObject(pagingQueryShape);

/** A freshly generated secret: the plain value (to answer once) and the record to store. */
export function createSecret(
  hasher: SecretHasher,
  now: number,
): { secret: string; record: ClientSecretRecord } {
  const secret = generateClientSecret();
  const hash = hasher.hash(secret);
  return { secret, record: { id: secretId(hash), hash, createdAt: now, expiresAt: null } };
}

/** Most previous secrets kept in their grace period; older ones stop at a further rotation. */
const MAX_PREVIOUS_SECRETS = 3;

/**
 * The secrets that stay valid after a rotation: with a grace period, the live ones until
 * `now + grace` at the latest (a secret already ending sooner keeps its end), the newest first;
 * without one, none. Also answers when the last of them stops (null: at once).
 */
export function keepPreviousSecrets(
  secrets: readonly ClientSecretRecord[],
  now: number,
  graceSeconds: number,
): { secrets: ClientSecretRecord[]; previousExpiresAt: number | null } {
  if (graceSeconds === 0) return { secrets: [], previousExpiresAt: null };
  const until = now + graceSeconds * 1000;
  const kept = secrets
    .filter((s) => s.expiresAt === null || s.expiresAt > now)
    .sort((a, b) => b.createdAt - a.createdAt)
    .slice(0, MAX_PREVIOUS_SECRETS)
    .map((s) => ({ ...s, expiresAt: s.expiresAt === null ? until : Math.min(s.expiresAt, until) }));
  const last = kept.reduce<number | null>((max, s) => Math.max(max ?? 0, s.expiresAt ?? 0), null);
  return { secrets: kept, previousExpiresAt: last };
}

/** How many of `secrets` still authenticate at `now`. */
function countLive(secrets: readonly ClientSecretRecord[], now: number): number {
  return secrets.filter((s) => s.expiresAt === null || s.expiresAt > now).length;
}

/** Creates the `/clients` routes (mounted under `/api/v2`). */
export function createClientRoutes(opts: ClientRoutesOptions): Hono<ManagementEnv> {
  const { store, hasher, auth, audit } = opts;
  const app = new Hono<ManagementEnv>();
  const findClient = async (req: Parameters<typeof parsePathParam>[0]): Promise<ClientRecord> => {
    const id = parsePathParam(req, 'id', CLIENT_ID_PATTERN, 'a client id');
    const client = await store.getClient(id);
    if (client === null) throw new NotFound('inexistent_client', 'The client does not exist');
    return client;
  };

  app.get('/', auth.requireScope('read:clients'), async (c) => {
    const paging = toPaging(parseQuery(c.req, listQuery));
    const page = await store.listClients(paging);
    return c.json(formatPage('clients', page, paging, toClientResponse));
  });

  app.post('/', audit.on('client.created'), auth.requireScope('create:clients'), async (c) => {
    const body = await readBody(c.req, createClientSchema);
    const { secret, record } = createSecret(hasher, Date.now());
    const client = await store.createClient({
      clientId: createClientId(),
      name: body.name,
      description: body.description ?? '',
      appType: 'non_interactive',
      tokenEndpointAuthMethod: body.token_endpoint_auth_method ?? 'client_secret_post',
      secrets: [record],
      credentials: [],
      metadata: body.client_metadata ?? {},
      disabled: body.disabled ?? false,
    });
    const after = toClientResponse(client);
    recordChange(c, { targetId: client.clientId, before: null, after });
    return c.json({ ...after, client_secret: secret }, 201);
  });

  app.get('/:id', auth.requireScope('read:clients'), async (c) => {
    return c.json(toClientResponse(await findClient(c.req)));
  });

  app.patch('/:id', audit.on('client.updated'), auth.requireScope('update:clients'), async (c) => {
    const existing = await findClient(c.req);
    const body = await readBody(c.req, updateClientSchema);
    const client = await store.updateClient(existing.clientId, {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.token_endpoint_auth_method !== undefined
        ? { tokenEndpointAuthMethod: body.token_endpoint_auth_method }
        : {}),
      ...(body.client_metadata !== undefined ? { metadata: body.client_metadata } : {}),
      ...(body.disabled !== undefined ? { disabled: body.disabled } : {}),
    });
    const after = toClientResponse(client);
    recordChange(c, { targetId: client.clientId, before: toClientResponse(existing), after });
    return c.json(after);
  });

  app.delete('/:id', audit.on('client.deleted'), auth.requireScope('delete:clients'), async (c) => {
    const existing = await findClient(c.req);
    await store.deleteClient(existing.clientId);
    recordChange(c, { targetId: existing.clientId, before: toClientResponse(existing), after: null });
    return c.body(null, 204);
  });

  // Gatehouse extension: cut the client's tokens off (at one API or every API) without disabling it.
  app.post(
    '/:id/revoke-tokens',
    audit.on('client.tokens_revoked'),
    auth.requireScope('blacklist:tokens'),
    async (c) => {
      const existing = await findClient(c.req);
      const body = await readOptionalBody(c.req, revokeClientTokensSchema);
      const cutoff = await store.createCutoff(existing.clientId, body.audience ?? null);
      const after = {
        client_id: existing.clientId,
        audience: cutoff.audience,
        revoked_before: new Date(cutoff.at).toISOString(),
      };
      recordChange(c, { targetId: existing.clientId, before: null, after });
      return c.json(after);
    },
  );

  // Auth0 guards secret rotation with update:client_keys.
  app.post(
    '/:id/rotate-secret',
    audit.on('client.secret_rotated'),
    auth.requireScope('update:client_keys'),
    async (c) => {
      const query = parseQuery(c.req, rotateSecretQuerySchema);
      const body = await readOptionalBody(c.req, rotateSecretSchema);
      if (
        query.grace_period_seconds !== undefined &&
        body.grace_period_seconds !== undefined &&
        query.grace_period_seconds !== body.grace_period_seconds
      ) {
        throw new BadRequest(
          'invalid_body',
          'Payload validation error: grace_period_seconds differs from the query',
        );
      }
      const grace = body.grace_period_seconds ?? query.grace_period_seconds ?? 0;
      const now = Date.now();
      const { secret, record } = createSecret(hasher, now);
      // the previous secrets as they are when written: a concurrent rotation's secret is kept too
      // set by the attempt that was written (a plain `null` initialiser would narrow its type to null)
      let previousExpiresAt = null as number | null;
      const { before: existing, after: client } = await updateClientAsRead(
        store,
        () => findClient(c.req),
        (current) => {
          const kept = keepPreviousSecrets(current.secrets, now, grace);
          previousExpiresAt = kept.previousExpiresAt;
          return { secrets: [record, ...kept.secrets] };
        },
      );
      const previousSecretsUntil =
        previousExpiresAt === null ? null : new Date(previousExpiresAt).toISOString();
      // The secrets never reach the audit log: only how many authenticate, and until when the old ones
      // do (names free of 'secret', which the audit log's redaction drops on sight).
      recordChange(c, {
        targetId: client.clientId,
        before: { client_id: existing.clientId, active_count: countLive(existing.secrets, now) },
        after: {
          client_id: client.clientId,
          active_count: countLive(client.secrets, now),
          grace_period_seconds: grace,
          previous_valid_until: previousSecretsUntil,
        },
      });
      return c.json({
        ...toClientResponse(client),
        client_secret: secret,
        previous_secret_expires_at: previousSecretsUntil,
      });
    },
  );

  return app;
}
