/**
 * `/api/v2/resource-servers`: the APIs tokens are issued for. A path `{id}` is the resource
 * server's id or, as Auth0 accepts, its identifier URL-encoded.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { readJsonBody } from '../http/body.ts';
import { BadRequest, Conflict, Forbidden, NotFound } from '../http/errors.ts';
import { createResourceServerId } from '../ids.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import type { ResourceServerRecord, RouteRule, Store } from '../store/store.ts';
import { type Audit, recordChange } from './audit.ts';
import type { ManagementAuth, ManagementEnv } from './management-auth.ts';
import { formatPage, pagingQueryShape, toPaging } from './paging.ts';
import { parseBody, parsePathParam, parseQuery, readBody } from './parse-input.ts';
import {
  createResourceServerSchema,
  findUndefinedRouteScope,
  toResourceServerResponse,
  updateResourceServerSchema,
} from './resource-server-schemas.ts';

/** Dependencies of the resource server routes. */
export interface ResourceServerRoutesOptions {
  store: Store;
  keyRing: KeyRing;
  auth: ManagementAuth;
  audit: Audit;
}

/** Default lifetime of an API's tokens, in seconds. */
export const DEFAULT_TOKEN_LIFETIME = 3600;

const ID_OR_IDENTIFIER = /^[\x21-\x7E]{1,600}$/;
const listQuery = z.strictObject(pagingQueryShape);
const deleteQuery = z.strictObject({
  force: z.enum(['true', 'false'], { error: 'force must be true or false' }).optional(),
});

/** Finds a resource server by id or identifier; 404 `inexistent_resource_server` otherwise. */
export async function findResourceServer(
  store: Store,
  idOrIdentifier: string,
): Promise<ResourceServerRecord> {
  const rs =
    (await store.getResourceServer(idOrIdentifier)) ??
    (await store.getResourceServerByIdentifier(idOrIdentifier));
  if (rs === null) throw new NotFound('inexistent_resource_server', 'The resource server does not exist');
  return rs;
}

/** Refuses (400) a route policy naming a scope the API does not define. */
function assertRouteScopes(routes: readonly RouteRule[] | null, scopes: readonly { value: string }[]): void {
  const problem = findUndefinedRouteScope(routes, scopes);
  if (problem !== undefined) {
    throw new BadRequest(
      'invalid_body',
      `Payload validation error: ${problem}; add the scope to the API or change the route`,
    );
  }
}

/** Creates the `/resource-servers` routes (mounted under `/api/v2`). */
export function createResourceServerRoutes(opts: ResourceServerRoutesOptions): Hono<ManagementEnv> {
  const { store, keyRing, auth, audit } = opts;
  const app = new Hono<ManagementEnv>();
  const idParam = (req: Parameters<typeof parsePathParam>[0]) =>
    parsePathParam(req, 'id', ID_OR_IDENTIFIER, 'a resource server id or identifier');

  app.get('/', auth.requireScope('read:resource_servers'), async (c) => {
    const paging = toPaging(parseQuery(c.req, listQuery));
    const page = await store.listResourceServers(paging);
    return c.json(formatPage('resource_servers', page, paging, toResourceServerResponse));
  });

  app.post(
    '/',
    audit.on('resource_server.created'),
    auth.requireScope('create:resource_servers'),
    async (c) => {
      const body = await readBody(c.req, createResourceServerSchema);
      if ((await store.getResourceServerByIdentifier(body.identifier)) !== null) {
        throw new Conflict('conflict', 'A resource server with the same identifier already exists');
      }
      const signingAlg = body.signing_alg ?? 'RS256';
      const scopes = (body.scopes ?? []).map((s) => ({ value: s.value, description: s.description ?? '' }));
      const routes = body.routes ?? null;
      assertRouteScopes(routes, scopes);
      await keyRing.ensureSigningKey(signingAlg);
      const rs = await store.createResourceServer({
        id: createResourceServerId(),
        identifier: body.identifier,
        name: body.name ?? body.identifier,
        scopes,
        signingAlg,
        tokenLifetime: body.token_lifetime ?? DEFAULT_TOKEN_LIFETIME,
        routes,
        isSystem: false,
      });
      const after = toResourceServerResponse(rs);
      recordChange(c, { targetId: rs.id, before: null, after });
      return c.json(after, 201);
    },
  );

  app.get('/:id', auth.requireScope('read:resource_servers'), async (c) => {
    const rs = await findResourceServer(store, idParam(c.req));
    return c.json(toResourceServerResponse(rs));
  });

  app.patch(
    '/:id',
    audit.on('resource_server.updated'),
    auth.requireScope('update:resource_servers'),
    async (c) => {
      const existing = await findResourceServer(store, idParam(c.req));
      const raw = await readJsonBody(c.req);
      if (raw !== null && typeof raw === 'object' && 'identifier' in raw) {
        throw new BadRequest('invalid_body', 'Payload validation error: identifier cannot be changed');
      }
      const body = parseBody(updateResourceServerSchema, raw);
      if (existing.isSystem) {
        throw new Forbidden(
          'operation_not_supported',
          'The Management API resource server cannot be modified',
        );
      }
      const scopes = body.scopes?.map((s) => ({ value: s.value, description: s.description ?? '' }));
      // The policy as it will stand must name only scopes the API will define.
      assertRouteScopes(body.routes !== undefined ? body.routes : existing.routes, scopes ?? existing.scopes);
      if (body.signing_alg !== undefined) await keyRing.ensureSigningKey(body.signing_alg);
      const rs = await store.updateResourceServer(existing.id, {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(scopes !== undefined ? { scopes } : {}),
        ...(body.signing_alg !== undefined ? { signingAlg: body.signing_alg } : {}),
        ...(body.token_lifetime !== undefined ? { tokenLifetime: body.token_lifetime } : {}),
        ...(body.routes !== undefined ? { routes: body.routes } : {}),
      });
      const after = toResourceServerResponse(rs);
      recordChange(c, { targetId: rs.id, before: toResourceServerResponse(existing), after });
      return c.json(after);
    },
  );

  app.delete(
    '/:id',
    audit.on('resource_server.deleted'),
    auth.requireScope('delete:resource_servers'),
    async (c) => {
      const { force } = parseQuery(c.req, deleteQuery);
      const existing = await findResourceServer(store, idParam(c.req));
      if (existing.isSystem) {
        throw new Forbidden(
          'operation_not_supported',
          'The Management API resource server cannot be deleted',
        );
      }
      const grants = await store.listClientGrants({ page: 0, perPage: 1, audience: existing.identifier });
      if (grants.total > 0 && force !== 'true') {
        throw new Conflict(
          'resource_server_has_grants',
          `The resource server still has ${grants.total} client grant(s); delete them first or pass ?force=true`,
        );
      }
      await store.deleteResourceServer(existing.id, { force: force === 'true' });
      recordChange(c, {
        targetId: existing.id,
        before: {
          ...toResourceServerResponse(existing),
          deleted_grants: force === 'true' ? grants.total : 0,
        },
        after: null,
      });
      return c.body(null, 204);
    },
  );

  return app;
}
