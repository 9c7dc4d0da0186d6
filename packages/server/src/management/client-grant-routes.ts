/** `/api/v2/client-grants`: which scopes of which API each client may ask for. */
import { Hono } from 'hono';
import { z } from 'zod';
import { BadRequest, Conflict, NotFound } from '../http/errors.ts';
import { createClientGrantId } from '../ids.ts';
import type { ClientGrantRecord, ResourceServerRecord, Store } from '../store/store.ts';
import { type Audit, recordChange } from './audit.ts';
import {
  createClientGrantSchema,
  toClientGrantResponse,
  updateClientGrantSchema,
} from './client-grant-schemas.ts';
import { apiIdentifierSchema, clientIdSchema } from './field-schemas.ts';
import type { ManagementAuth, ManagementEnv } from './management-auth.ts';
import { formatPage, pagingQueryShape, toPaging } from './paging.ts';
import { parsePathParam, parseQuery, readBody } from './parse-input.ts';

/** Dependencies of the client grant routes. */
export interface ClientGrantRoutesOptions {
  store: Store;
  auth: ManagementAuth;
  audit: Audit;
}

const GRANT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const listQuery = z.strictObject({
  ...pagingQueryShape,
  client_id: clientIdSchema.optional(),
  audience: apiIdentifierSchema.optional(),
});

/** Refuses scopes the API does not define (400 naming them). */
function assertScopesDefined(scope: readonly string[], api: ResourceServerRecord): void {
  const unknown = scope.filter((s) => !api.scopes.some((d) => d.value === s));
  if (unknown.length > 0) {
    throw new BadRequest(
      'invalid_body',
      `Payload validation error: scope: not defined by the API ${api.identifier}: ${unknown.slice(0, 5).join(' ').slice(0, 300)}`,
    );
  }
}

/** Creates the `/client-grants` routes (mounted under `/api/v2`). */
export function createClientGrantRoutes(opts: ClientGrantRoutesOptions): Hono<ManagementEnv> {
  const { store, auth, audit } = opts;
  const app = new Hono<ManagementEnv>();
  const findGrant = async (req: Parameters<typeof parsePathParam>[0]): Promise<ClientGrantRecord> => {
    const id = parsePathParam(req, 'id', GRANT_ID, 'a client grant id');
    const grant = await store.getClientGrant(id);
    if (grant === null) throw new NotFound('inexistent_client_grant', 'The client grant does not exist');
    return grant;
  };

  app.get('/', auth.requireScope('read:client_grants'), async (c) => {
    const q = parseQuery(c.req, listQuery);
    const paging = toPaging(q);
    const page = await store.listClientGrants({
      ...paging,
      ...(q.client_id !== undefined ? { clientId: q.client_id } : {}),
      ...(q.audience !== undefined ? { audience: q.audience } : {}),
    });
    return c.json(formatPage('client_grants', page, paging, toClientGrantResponse));
  });

  app.post('/', audit.on('client_grant.created'), auth.requireScope('create:client_grants'), async (c) => {
    const body = await readBody(c.req, createClientGrantSchema);
    if ((await store.getClient(body.client_id)) === null) {
      throw new NotFound('inexistent_client', 'The client does not exist');
    }
    const api = await store.getResourceServerByIdentifier(body.audience);
    if (api === null)
      throw new NotFound('inexistent_resource_server', 'No resource server has this identifier');
    assertScopesDefined(body.scope, api);
    if ((await store.findClientGrant(body.client_id, api.identifier)) !== null) {
      throw new Conflict('conflict', 'A client grant for this client and audience already exists');
    }
    const grant = await store.createClientGrant({
      id: createClientGrantId(),
      clientId: body.client_id,
      audience: api.identifier,
      scope: body.scope,
      tokenLifetime: body.token_lifetime ?? null,
    });
    const after = toClientGrantResponse(grant);
    recordChange(c, { targetId: grant.id, before: null, after });
    return c.json(after, 201);
  });

  app.get('/:id', auth.requireScope('read:client_grants'), async (c) => {
    return c.json(toClientGrantResponse(await findGrant(c.req)));
  });

  app.patch(
    '/:id',
    audit.on('client_grant.updated'),
    auth.requireScope('update:client_grants'),
    async (c) => {
      const existing = await findGrant(c.req);
      const body = await readBody(c.req, updateClientGrantSchema);
      if (body.scope !== undefined) {
        const api = await store.getResourceServerByIdentifier(existing.audience);
        if (api === null)
          throw new NotFound('inexistent_resource_server', 'The grant names an API that no longer exists');
        assertScopesDefined(body.scope, api);
      }
      const grant = await store.updateClientGrant(existing.id, {
        ...(body.scope !== undefined ? { scope: body.scope } : {}),
        ...(body.token_lifetime !== undefined ? { tokenLifetime: body.token_lifetime } : {}),
      });
      const after = toClientGrantResponse(grant);
      recordChange(c, { targetId: grant.id, before: toClientGrantResponse(existing), after });
      return c.json(after);
    },
  );

  app.delete(
    '/:id',
    audit.on('client_grant.deleted'),
    auth.requireScope('delete:client_grants'),
    async (c) => {
      const existing = await findGrant(c.req);
      await store.deleteClientGrant(existing.id);
      recordChange(c, { targetId: existing.id, before: toClientGrantResponse(existing), after: null });
      return c.body(null, 204);
    },
  );

  return app;
}
