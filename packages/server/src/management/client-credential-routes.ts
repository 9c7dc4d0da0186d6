/**
 * `/api/v2/clients/{id}/credentials`: public keys a client signs its `private_key_jwt` assertions
 * with (RFC 7523), Auth0's shape, and federated credentials (an external issuer's platform token
 * as the assertion, federation/). Several may be registered at once, so a client rotates its key
 * without downtime: add the new one, switch, delete the old one.
 * @see https://auth0.com/docs/api/management/v2/clients/post-credentials
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 */
import { Hono } from 'hono';
import type { z } from 'zod';
import { createFederatedCredentialRecord } from '../federation/federated-credential-input.ts';
import { BadRequest, Conflict, NotFound } from '../http/errors.ts';
import { createRandomAlphanumeric } from '../ids.ts';
import type { ClientCredentialRecord, ClientRecord, ClientStore } from '../store/store.ts';
import { type Audit, recordChange } from './audit.ts';
import {
  CredentialKeyError,
  createClientCredentialSchema,
  MAX_CLIENT_CREDENTIALS,
  normaliseCredentialKey,
  toClientCredentialResponse,
} from './client-credential-schemas.ts';
import { CLIENT_ID_PATTERN } from './field-schemas.ts';
import type { ManagementAuth, ManagementEnv } from './management-auth.ts';
import { parsePathParam, readBody } from './parse-input.ts';
import { updateClientAsRead } from './update-client-as-read.ts';

const CREDENTIAL_ID = /^cred_[A-Za-z0-9]{1,64}$/;

/** Creates the credential routes (mounted under `/api/v2/clients`). */
export function createClientCredentialRoutes(opts: {
  store: ClientStore;
  auth: ManagementAuth;
  audit: Audit;
}): Hono<ManagementEnv> {
  const { store, auth, audit } = opts;
  const app = new Hono<ManagementEnv>();

  const findClient = async (req: Parameters<typeof parsePathParam>[0]): Promise<ClientRecord> => {
    const id = parsePathParam(req, 'id', CLIENT_ID_PATTERN, 'a client id');
    const client = await store.getClient(id);
    if (client === null) throw new NotFound('inexistent_client', 'The client does not exist');
    return client;
  };
  const findCredential = (client: ClientRecord, req: Parameters<typeof parsePathParam>[0]) => {
    const id = parsePathParam(req, 'credentialId', CREDENTIAL_ID, 'a credential id');
    const credential = client.credentials.find((c) => c.id === id);
    if (credential === undefined)
      throw new NotFound('inexistent_credential', 'The credential does not exist');
    return credential;
  };

  /** A public-key credential from the request body (a PEM or a JWKS URL). */
  const publicKeyRecord = (
    id: string,
    body: Extract<z.infer<typeof createClientCredentialSchema>, { credential_type: 'public_key' }>,
  ): ClientCredentialRecord => {
    const record: ClientCredentialRecord = {
      id,
      credentialType: 'public_key',
      name: body.name ?? '',
      createdAt: Date.now(),
    };
    if (body.pem !== undefined) {
      try {
        const key = normaliseCredentialKey(body.pem, body.alg);
        record.pem = key.pem;
        record.alg = key.alg;
        if (body.name === undefined) record.name = key.kid;
      } catch (err) {
        if (err instanceof CredentialKeyError)
          throw new BadRequest('invalid_body', `Payload validation error: ${err.message}`);
        throw err;
      }
    } else if (body.jwks_uri !== undefined) {
      record.jwksUri = body.jwks_uri;
      if (body.alg !== undefined) record.alg = body.alg;
      if (body.name === undefined) record.name = new URL(body.jwks_uri).host;
    }
    return record;
  };

  app.get('/:id/credentials', auth.requireScope('read:client_credentials'), async (c) => {
    const client = await findClient(c.req);
    return c.json(client.credentials.map(toClientCredentialResponse));
  });

  app.post(
    '/:id/credentials',
    audit.on('client_credential.created'),
    auth.requireScope('create:client_credentials'),
    async (c) => {
      const body = await readBody(c.req, createClientCredentialSchema);
      const id = `cred_${createRandomAlphanumeric(16)}`;
      const record =
        body.credential_type === 'federated'
          ? createFederatedCredentialRecord(id, body, Date.now())
          : publicKeyRecord(id, body);
      // the limit and the list as they are when written: a concurrent change reads them again
      const { after: client } = await updateClientAsRead(
        store,
        () => findClient(c.req),
        (current) => {
          if (current.credentials.length >= MAX_CLIENT_CREDENTIALS) {
            throw new Conflict(
              'too_many_credentials',
              `A client holds at most ${MAX_CLIENT_CREDENTIALS} credentials; delete one first`,
            );
          }
          return { credentials: [...current.credentials, record] };
        },
      );
      const after = toClientCredentialResponse(record);
      recordChange(c, { targetId: record.id, before: null, after: { client_id: client.clientId, ...after } });
      return c.json(after, 201);
    },
  );

  app.get('/:id/credentials/:credentialId', auth.requireScope('read:client_credentials'), async (c) => {
    const client = await findClient(c.req);
    return c.json(toClientCredentialResponse(findCredential(client, c.req)));
  });

  app.delete(
    '/:id/credentials/:credentialId',
    audit.on('client_credential.deleted'),
    auth.requireScope('delete:client_credentials'),
    async (c) => {
      const { before: client } = await updateClientAsRead(
        store,
        () => findClient(c.req),
        (current) => {
          const found = findCredential(current, c.req);
          return { credentials: current.credentials.filter((x) => x.id !== found.id) };
        },
      );
      // the state the removal applied to holds it
      const credential = findCredential(client, c.req);
      recordChange(c, {
        targetId: credential.id,
        before: { client_id: client.clientId, ...toClientCredentialResponse(credential) },
        after: null,
      });
      return c.body(null, 204);
    },
  );

  return app;
}
