/**
 * The OpenAPI 3.1 document of every endpoint the server answers. Management API bodies come from
 * the same zod schemas that validate them, so the document cannot drift from the validation.
 * @see https://spec.openapis.org/oas/v3.1.0
 */
import { z } from 'zod';
import {
  blacklistedTokenSchema,
  blacklistTokenSchema,
  clientCutoffResponseSchema,
  revokeClientTokensSchema,
} from '../management/blacklist-schemas.ts';
import {
  clientCredentialResponseSchema,
  createClientCredentialSchema,
} from '../management/client-credential-schemas.ts';
import {
  clientGrantResponseSchema,
  createClientGrantSchema,
  updateClientGrantSchema,
} from '../management/client-grant-schemas.ts';
import {
  clientResponseSchema,
  clientWithSecretResponseSchema,
  createClientSchema,
  rotatedSecretResponseSchema,
  rotateSecretSchema,
  updateClientSchema,
} from '../management/client-schemas.ts';
import { MANAGEMENT_SCOPES } from '../management/management-api.ts';
import { DEFAULT_PER_PAGE, MAX_PER_PAGE } from '../management/paging.ts';
import {
  createResourceServerSchema,
  resourceServerResponseSchema,
  updateResourceServerSchema,
} from '../management/resource-server-schemas.ts';
import { signingKeyResponseSchema } from '../management/signing-key-schemas.ts';

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Json;
  return rest;
}

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json): Json => ({ 'application/json': { schema } });

const oauthErrors: Json = {
  '400': {
    description: 'invalid_request, unsupported_grant_type, invalid_scope or invalid_target',
    content: json(ref('OAuthError')),
  },
  '401': {
    description: 'invalid_client; with `WWW-Authenticate: Basic` when the client used HTTP Basic',
    content: json(ref('OAuthError')),
  },
  '403': {
    description: 'access_denied: the client has no grant for the API',
    content: json(ref('OAuthError')),
  },
  '413': { description: 'invalid_request: the body is larger than 16 KiB', content: json(ref('OAuthError')) },
  '429': {
    description:
      '`too_many_attempts`: the caller is locked out after failed client authentication; ' +
      '`too_many_requests`: a configured request-rate limit. `Retry-After` says when to try again',
    headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'seconds' } },
    content: json(ref('OAuthError')),
  },
  '503': {
    description:
      '`temporarily_unavailable`: the store cannot be reached, or too many requests are in progress',
    headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'seconds' } },
    content: json(ref('OAuthError')),
  },
};

function managementErrors(...statuses: string[]): Json {
  const text: Record<string, string> = {
    '400': 'Invalid body, query string or path (`invalid_body`, `invalid_query_string`, `invalid_uri`)',
    '401': 'Missing or invalid bearer token',
    '403': '`insufficient_scope`, or `operation_not_supported` on the Management API itself',
    '404': 'No such entity',
    '409': 'Conflicts with existing state',
    '413': 'Body larger than 256 KiB',
    '415': 'Body is not application/json',
  };
  const out: Json = {};
  for (const s of ['400', '401', '403', ...statuses])
    out[s] = { description: text[s], content: json(ref('ManagementError')) };
  return out;
}

const pagingParameters: Json[] = [
  { name: 'page', in: 'query', description: 'Page index, from 0', schema: { type: 'integer', minimum: 0 } },
  {
    name: 'per_page',
    in: 'query',
    description: `Entries per page (default ${DEFAULT_PER_PAGE})`,
    schema: { type: 'integer', minimum: 1, maximum: MAX_PER_PAGE },
  },
  {
    name: 'include_totals',
    in: 'query',
    description: 'true: answer `{start, limit, length, total, <entity>: [...]}` instead of a plain array',
    schema: { type: 'boolean' },
  },
];

function listResponse(entity: string, item: string): Json {
  return {
    '200': {
      description: `A page of ${entity}`,
      content: json({
        oneOf: [
          { type: 'array', items: ref(item) },
          {
            type: 'object',
            required: ['start', 'limit', 'length', 'total', entity],
            properties: {
              start: { type: 'integer' },
              limit: { type: 'integer' },
              length: { type: 'integer' },
              total: { type: 'integer' },
              [entity]: { type: 'array', items: ref(item) },
            },
          },
        ],
      }),
    },
  };
}

interface ManagementOperation {
  summary: string;
  scope: string;
  tag: string;
  description?: string;
  parameters?: Json[];
  body?: string;
  /** The body may be left out (no body, or an empty one). */
  optionalBody?: boolean;
  responses: Json;
  errors?: string[];
}

function managementOperation(op: ManagementOperation): Json {
  return {
    tags: [op.tag],
    summary: op.summary,
    ...(op.description !== undefined ? { description: op.description } : {}),
    security: [{ managementToken: [op.scope] }],
    ...(op.parameters !== undefined ? { parameters: op.parameters } : {}),
    ...(op.body !== undefined
      ? { requestBody: { required: op.optionalBody !== true, content: json(ref(op.body)) } }
      : {}),
    responses: { ...op.responses, ...managementErrors(...(op.errors ?? [])) },
  };
}

const idPath = (description: string): Json => ({
  name: 'id',
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
const rsId = idPath('The resource server id, or its identifier URL-encoded');
const clientId = idPath('The client id');
const grantId = idPath('The client grant id');
const credentialIdParam: Json = {
  name: 'credentialId',
  in: 'path',
  required: true,
  description: 'The credential id (`cred_…`)',
  schema: { type: 'string' },
};
const noContent = { '204': { description: 'Deleted' } };

const clientAuthProperties: Json = {
  client_id: { type: 'string', description: 'With client_secret_post (or repeating the Basic id)' },
  client_secret: { type: 'string', description: 'client_secret_post; never together with HTTP Basic' },
  client_assertion_type: {
    const: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    description: 'private_key_jwt (RFC 7523 section 2.2)',
  },
  client_assertion: {
    type: 'string',
    description:
      'private_key_jwt: a JWT signed with a key registered as a client credential; `iss` = `sub` = client id, ' +
      '`aud` the token endpoint or the issuer, `exp` at most 5 minutes ahead, a `jti` never used before',
  },
};

const tokenOperationRequestSchema: Json = {
  type: 'object',
  required: ['token'],
  properties: {
    token: { type: 'string', description: 'The access token' },
    token_type_hint: { type: 'string', description: 'Optional; every gatehouse token is an access token' },
    ...clientAuthProperties,
  },
};

const feedHeaders: Json = {
  ETag: { description: 'Strong entity tag of the body', schema: { type: 'string' } },
  'Cache-Control': { description: '`public, max-age=<GATEHOUSE_SYNC_SECONDS>`', schema: { type: 'string' } },
};

const discoveryHeaders: Json = {
  ETag: { description: 'Strong entity tag of the body', schema: { type: 'string' } },
  'Cache-Control': { description: '`public, max-age=300`', schema: { type: 'string' } },
};
const ifNoneMatch: Json = { name: 'If-None-Match', in: 'header', schema: { type: 'string' } };
const discoveryNotModified: Json = {
  description: 'Not modified (`If-None-Match` named the ETag)',
  headers: discoveryHeaders,
};

const tokenRequestSchema: Json = {
  type: 'object',
  required: ['grant_type'],
  properties: {
    grant_type: { const: 'client_credentials' },
    ...clientAuthProperties,
    audience: { type: 'string', description: 'Identifier of the API (Auth0 style)' },
    resource: {
      type: 'string',
      format: 'uri',
      description: 'Identifier of the API (RFC 8707); must equal audience when both are given',
    },
    scope: {
      type: 'string',
      description: 'Space-separated scopes narrowing the grant; default: every granted scope',
    },
  },
};

/** Builds the OpenAPI 3.1 document for `issuer`. */
export function createOpenApiDocument(issuer: string): Json {
  const managementScopes = Object.fromEntries(MANAGEMENT_SCOPES.map((s) => [s.value, s.description]));
  return {
    openapi: '3.1.0',
    info: {
      title: 'gatehouse authorization server',
      version: '0.1.0',
      description:
        'OAuth 2.0 client credentials with RFC 9068 JWT access tokens, discovery, and a Management API ' +
        'in the shape of the Auth0 Management API v2.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: issuer.replace(/\/$/, '') }],
    tags: [
      {
        name: 'OAuth',
        description:
          'Token (RFC 6749 section 4.4), revocation (RFC 7009) and introspection (RFC 7662) endpoints',
      },
      { name: 'Feeds', description: 'What authorizers poll: revocations and route policy (docs/feeds.md)' },
      { name: 'Deny-list', description: 'Revoked tokens and client cut-offs' },
      { name: 'Discovery', description: 'Metadata (RFC 8414) and keys (RFC 7517)' },
      { name: 'Resource servers', description: 'APIs tokens are issued for' },
      { name: 'Clients', description: 'Calling services' },
      { name: 'Client grants', description: 'Which scopes of which API a client may ask for' },
      { name: 'Signing keys', description: 'Public parts of the signing keys, rotation and revocation' },
      { name: 'Operations', description: 'Health, metrics and this documentation' },
    ],
    paths: {
      '/oauth/token': {
        post: {
          tags: ['OAuth'],
          summary: 'Get an access token (client credentials grant)',
          description:
            'Client authentication: HTTP Basic (`client_secret_basic`), `client_id` + `client_secret` in the body ' +
            '(`client_secret_post`), or a signed `client_assertion` (`private_key_jwt`, RFC 7523), exactly one. ' +
            'The `client_assertion` may also be a workload platform token matching a federated credential ' +
            '(`iss` the external issuer; `client_id` needed only when several clients trust it; docs/federation.md). ' +
            'Answers are never cached (`Cache-Control: no-store`). The `jti` of every token is a ULID whose first ' +
            '10 characters are its issue time in milliseconds.',
          security: [{ clientBasic: [] }, {}],
          requestBody: {
            required: true,
            content: {
              'application/x-www-form-urlencoded': { schema: tokenRequestSchema },
              'application/json': { schema: tokenRequestSchema },
            },
          },
          responses: {
            '200': { description: 'A signed RFC 9068 access token', content: json(ref('TokenResponse')) },
            ...oauthErrors,
          },
        },
      },
      '/oauth/revoke': {
        post: {
          tags: ['OAuth'],
          summary: 'Revoke one of the calling client’s access tokens (RFC 7009)',
          description:
            'Authenticated like the token endpoint. The token is deny-listed until it expires and reaches every ' +
            'authorizer through the revocation feed. As RFC 7009 asks, the answer is 200 also when nothing was ' +
            'revoked: a malformed, forged or expired token, or another client’s token, is left alone.',
          security: [{ clientBasic: [] }, {}],
          requestBody: {
            required: true,
            content: {
              'application/x-www-form-urlencoded': { schema: tokenOperationRequestSchema },
              'application/json': { schema: tokenOperationRequestSchema },
            },
          },
          responses: {
            '200': { description: 'Revoked, or nothing to revoke (no body)' },
            '400': { description: 'invalid_request: no token', content: json(ref('OAuthError')) },
            '401': oauthErrors['401'],
            '413': oauthErrors['413'],
            '429': oauthErrors['429'],
            '503': oauthErrors['503'],
          },
        },
      },
      '/oauth/introspect': {
        post: {
          tags: ['OAuth'],
          summary: 'Introspect an access token (RFC 7662)',
          description:
            'Authenticated like the token endpoint. Any client with a grant for the token’s audience may introspect ' +
            'it; for anyone else, and for an expired, revoked, cut-off, forged or unknown-key token, the answer is ' +
            '`{"active": false}`. Revocations apply at once.',
          security: [{ clientBasic: [] }, {}],
          requestBody: {
            required: true,
            content: {
              'application/x-www-form-urlencoded': { schema: tokenOperationRequestSchema },
              'application/json': { schema: tokenOperationRequestSchema },
            },
          },
          responses: {
            '200': {
              description: 'Whether the token is active, and its claims when it is',
              content: json(ref('Introspection')),
            },
            '400': { description: 'invalid_request: no token', content: json(ref('OAuthError')) },
            '401': oauthErrors['401'],
            '413': oauthErrors['413'],
            '429': oauthErrors['429'],
            '503': oauthErrors['503'],
          },
        },
      },
      '/feeds/revocations': {
        get: {
          tags: ['Feeds'],
          summary: 'Revoked tokens, client cut-offs and revoked signing keys',
          description:
            'Public and cacheable: ids and times only. Without `since`, or with a cursor the server does not know, ' +
            'the whole current list (`full: true`); with the `cursor` of an earlier answer, only what came after it. ' +
            '`If-None-Match` with the ETag answers 304.',
          parameters: [
            {
              name: 'since',
              in: 'query',
              description: 'The `cursor` of an earlier answer',
              schema: { type: 'string' },
            },
            { name: 'If-None-Match', in: 'header', schema: { type: 'string' } },
          ],
          responses: {
            '200': { description: 'The feed', headers: feedHeaders, content: json(ref('RevocationFeed')) },
            '304': { description: 'Not modified', headers: feedHeaders },
          },
        },
      },
      '/feeds/policy': {
        get: {
          tags: ['Feeds'],
          summary: 'The live route policy of an API',
          description: '`routes` is null when the API carries none. Public and cacheable, with ETag and 304.',
          parameters: [
            {
              name: 'audience',
              in: 'query',
              required: true,
              description: 'The API identifier',
              schema: { type: 'string' },
            },
            { name: 'If-None-Match', in: 'header', schema: { type: 'string' } },
          ],
          responses: {
            '200': { description: 'The policy', headers: feedHeaders, content: json(ref('PolicyFeed')) },
            '304': { description: 'Not modified', headers: feedHeaders },
            '400': { description: 'No audience', content: json({ type: 'object' }) },
            '404': { description: 'No API has this identifier', content: json({ type: 'object' }) },
          },
        },
      },
      '/.well-known/jwks.json': {
        get: {
          tags: ['Discovery'],
          summary: 'Public signing keys (JWK Set)',
          description:
            'Public and cacheable, with ETag: `If-None-Match` with it answers 304 until the keys change.',
          parameters: [ifNoneMatch],
          responses: {
            '200': { description: 'The JWK Set', headers: discoveryHeaders, content: json(ref('Jwks')) },
            '304': discoveryNotModified,
          },
        },
      },
      '/.well-known/openid-configuration': {
        get: {
          tags: ['Discovery'],
          summary: 'Authorization server metadata (OpenID Connect discovery location)',
          parameters: [ifNoneMatch],
          responses: {
            '200': {
              description: 'Metadata',
              headers: discoveryHeaders,
              content: json(ref('AuthorizationServerMetadata')),
            },
            '304': discoveryNotModified,
          },
        },
      },
      '/.well-known/oauth-authorization-server': {
        get: {
          tags: ['Discovery'],
          summary: 'Authorization server metadata (RFC 8414)',
          parameters: [ifNoneMatch],
          responses: {
            '200': {
              description: 'Metadata',
              headers: discoveryHeaders,
              content: json(ref('AuthorizationServerMetadata')),
            },
            '304': discoveryNotModified,
          },
        },
      },
      '/api/v2/resource-servers': {
        get: managementOperation({
          tag: 'Resource servers',
          summary: 'List APIs',
          scope: 'read:resource_servers',
          parameters: pagingParameters,
          responses: listResponse('resource_servers', 'ResourceServer'),
        }),
        post: managementOperation({
          tag: 'Resource servers',
          summary: 'Create an API',
          scope: 'create:resource_servers',
          body: 'ResourceServerCreate',
          responses: { '201': { description: 'Created', content: json(ref('ResourceServer')) } },
          errors: ['409', '413', '415'],
        }),
      },
      '/api/v2/resource-servers/{id}': {
        get: managementOperation({
          tag: 'Resource servers',
          summary: 'Get an API',
          scope: 'read:resource_servers',
          parameters: [rsId],
          responses: { '200': { description: 'The API', content: json(ref('ResourceServer')) } },
          errors: ['404'],
        }),
        patch: managementOperation({
          tag: 'Resource servers',
          summary: 'Update an API',
          scope: 'update:resource_servers',
          parameters: [rsId],
          body: 'ResourceServerUpdate',
          responses: { '200': { description: 'Updated', content: json(ref('ResourceServer')) } },
          errors: ['404', '413', '415'],
        }),
        delete: managementOperation({
          tag: 'Resource servers',
          summary: 'Delete an API',
          description:
            'Refused with 409 while client grants exist for it, unless `force=true` (which deletes them too).',
          scope: 'delete:resource_servers',
          parameters: [rsId, { name: 'force', in: 'query', schema: { type: 'boolean' } }],
          responses: noContent,
          errors: ['404', '409'],
        }),
      },
      '/api/v2/clients': {
        get: managementOperation({
          tag: 'Clients',
          summary: 'List clients',
          scope: 'read:clients',
          parameters: pagingParameters,
          responses: listResponse('clients', 'Client'),
        }),
        post: managementOperation({
          tag: 'Clients',
          summary: 'Create a client',
          description: 'The answer holds `client_secret`, shown this once: only its hash is stored.',
          scope: 'create:clients',
          body: 'ClientCreate',
          responses: { '201': { description: 'Created', content: json(ref('ClientWithSecret')) } },
          errors: ['413', '415'],
        }),
      },
      '/api/v2/clients/{id}': {
        get: managementOperation({
          tag: 'Clients',
          summary: 'Get a client',
          scope: 'read:clients',
          parameters: [clientId],
          responses: { '200': { description: 'The client', content: json(ref('Client')) } },
          errors: ['404'],
        }),
        patch: managementOperation({
          tag: 'Clients',
          summary: 'Update a client',
          scope: 'update:clients',
          parameters: [clientId],
          body: 'ClientUpdate',
          responses: { '200': { description: 'Updated', content: json(ref('Client')) } },
          errors: ['404', '413', '415'],
        }),
        delete: managementOperation({
          tag: 'Clients',
          summary: 'Delete a client and its grants',
          scope: 'delete:clients',
          parameters: [clientId],
          responses: noContent,
          errors: ['404'],
        }),
      },
      '/api/v2/clients/{id}/rotate-secret': {
        post: managementOperation({
          tag: 'Clients',
          summary: 'Rotate the client secret',
          description:
            'The new secret is in this answer only. The previous secret stops working at once (as in Auth0), or ' +
            'after `grace_period_seconds` (gatehouse extension, in the body or the query, at most 30 days): both ' +
            'work until `previous_secret_expires_at`, so the client switches without downtime. Rotations sent at ' +
            "once each land (the second keeps the first one's secret as a previous one); 409 `concurrent_update` " +
            'only if the client keeps changing through several retries.',
          scope: 'update:client_keys',
          parameters: [
            clientId,
            {
              name: 'grace_period_seconds',
              in: 'query',
              description: 'How long the previous secret keeps working (default 0)',
              schema: { type: 'integer', minimum: 0, maximum: 2_592_000 },
            },
          ],
          body: 'RotateSecret',
          optionalBody: true,
          responses: { '200': { description: 'Rotated', content: json(ref('RotatedSecret')) } },
          errors: ['404', '409', '413', '415'],
        }),
      },
      '/api/v2/clients/{id}/credentials': {
        get: managementOperation({
          tag: 'Clients',
          summary: 'List a client’s credentials (public keys and federated credentials)',
          scope: 'read:client_credentials',
          parameters: [clientId],
          responses: {
            '200': {
              description: 'Its credentials',
              content: json({ type: 'array', items: ref('ClientCredential') }),
            },
          },
          errors: ['404'],
        }),
        post: managementOperation({
          tag: 'Clients',
          summary: 'Register a public key (private_key_jwt) or a federated credential (workload identity)',
          description:
            '`credential_type: public_key`: a PEM public key (or certificate) with its `alg` (default: the key type’s usual one), or a `jwks_uri` ' +
            '(https; http on localhost only). Private keys are refused and never stored. Several credentials may be ' +
            'registered at once, so a client rotates its key without downtime. Assertions: `iss` = `sub` = client id, ' +
            '`aud` the token endpoint or the issuer, `exp` at most 5 minutes ahead, a `jti` used once. ' +
            '`credential_type: federated`: an external issuer (`issuer`: its identifier or discovery URL; `jwks_uri` ' +
            'when it publishes no discovery), the exact `subject` or a prefix ending in `:*` or `/*`, and the ' +
            '`audience` the workload requests; its platform token (Kubernetes, SPIFFE, AWS, GitHub Actions, any OIDC) ' +
            'is then the client assertion. The answer names the `issuer_kind` whose claims are checked (docs/federation.md).',
          scope: 'create:client_credentials',
          parameters: [clientId],
          body: 'ClientCredentialCreate',
          responses: { '201': { description: 'Registered', content: json(ref('ClientCredential')) } },
          errors: ['404', '409', '413', '415'],
        }),
      },
      '/api/v2/clients/{id}/credentials/{credentialId}': {
        get: managementOperation({
          tag: 'Clients',
          summary: 'Get a client credential',
          scope: 'read:client_credentials',
          parameters: [clientId, credentialIdParam],
          responses: { '200': { description: 'The credential', content: json(ref('ClientCredential')) } },
          errors: ['404'],
        }),
        delete: managementOperation({
          tag: 'Clients',
          summary: 'Delete a client credential: assertions signed with its key stop working',
          scope: 'delete:client_credentials',
          parameters: [clientId, credentialIdParam],
          responses: noContent,
          errors: ['404', '409'],
        }),
      },
      '/api/v2/clients/{id}/revoke-tokens': {
        post: managementOperation({
          tag: 'Deny-list',
          summary: 'Cut off a client’s tokens (gatehouse extension)',
          description:
            'Every token of the client issued before now stops being valid: for `audience`, or for every API when ' +
            'the body is absent or has no `audience`. The cut-off reaches authorizers through the revocation feed. ' +
            'Grants and the client stay as they are; new tokens work.',
          scope: 'blacklist:tokens',
          parameters: [clientId],
          body: 'RevokeClientTokens',
          optionalBody: true,
          responses: { '200': { description: 'Cut off', content: json(ref('ClientCutoff')) } },
          errors: ['404', '413', '415'],
        }),
      },
      '/api/v2/blacklists/tokens': {
        get: managementOperation({
          tag: 'Deny-list',
          summary: 'List deny-listed tokens that have not expired',
          scope: 'blacklist:tokens',
          parameters: [
            { name: 'aud', in: 'query', description: 'Only this API', schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'Entries, oldest first',
              content: json({ type: 'array', items: ref('BlacklistedToken') }),
            },
          },
        }),
        post: managementOperation({
          tag: 'Deny-list',
          summary: 'Deny-list a token by audience and jti',
          description:
            'Unlike Auth0, `aud` is required: gatehouse keeps its deny-list per API. The entry lives as long as the ' +
            'token could (for a gatehouse ULID `jti`, its issue time plus 24 hours).',
          scope: 'blacklist:tokens',
          body: 'BlacklistToken',
          responses: { '201': { description: 'Deny-listed', content: json(ref('BlacklistedToken')) } },
          errors: ['413', '415'],
        }),
      },
      '/api/v2/client-grants': {
        get: managementOperation({
          tag: 'Client grants',
          summary: 'List client grants',
          scope: 'read:client_grants',
          parameters: [
            ...pagingParameters,
            { name: 'client_id', in: 'query', schema: { type: 'string' } },
            { name: 'audience', in: 'query', schema: { type: 'string' } },
          ],
          responses: listResponse('client_grants', 'ClientGrant'),
        }),
        post: managementOperation({
          tag: 'Client grants',
          summary: 'Grant a client scopes of an API',
          description: 'Every scope must be defined by the API.',
          scope: 'create:client_grants',
          body: 'ClientGrantCreate',
          responses: { '201': { description: 'Created', content: json(ref('ClientGrant')) } },
          errors: ['404', '409', '413', '415'],
        }),
      },
      '/api/v2/client-grants/{id}': {
        get: managementOperation({
          tag: 'Client grants',
          summary: 'Get a client grant',
          scope: 'read:client_grants',
          parameters: [grantId],
          responses: { '200': { description: 'The grant', content: json(ref('ClientGrant')) } },
          errors: ['404'],
        }),
        patch: managementOperation({
          tag: 'Client grants',
          summary: 'Change a grant’s scopes or token lifetime',
          scope: 'update:client_grants',
          parameters: [grantId],
          body: 'ClientGrantUpdate',
          responses: { '200': { description: 'Updated', content: json(ref('ClientGrant')) } },
          errors: ['404', '413', '415'],
        }),
        delete: managementOperation({
          tag: 'Client grants',
          summary: 'Delete a client grant',
          scope: 'delete:client_grants',
          parameters: [grantId],
          responses: noContent,
          errors: ['404'],
        }),
      },
      '/api/v2/keys/signing': {
        get: managementOperation({
          tag: 'Signing keys',
          summary: 'List signing keys (public parts)',
          scope: 'read:signing_keys',
          responses: {
            '200': { description: 'Every key', content: json({ type: 'array', items: ref('SigningKey') }) },
          },
        }),
      },
      '/api/v2/keys/signing/rotate': {
        post: managementOperation({
          tag: 'Signing keys',
          summary: 'Rotate a signing key',
          description:
            'The `next` key, published in the JWKS since it was made, becomes current and signs; a new `next` key ' +
            'is published; the old current key stays in the JWKS until every token it signed has expired (24 h and ' +
            'a margin). A key signs only once it has been published for 10 minutes (two JWKS cache lifetimes, or two ' +
            '`GATEHOUSE_SYNC_SECONDS` if longer), so every instance and verifier holds it: a `next` key made less ' +
            'than that ago becomes current with its `current_since` ahead, the previous key signing until then. ' +
            '`alg` (gatehouse extension) picks the algorithm, RS256 by default. Scheduled rotation: ' +
            '`GATEHOUSE_KEY_ROTATION_DAYS`. With `GATEHOUSE_SIGNING=kms` the keys are AWS KMS keys, rotated in KMS and ' +
            'the configuration (docs/deploy/aws.md): 403 `operation_not_supported`.',
          scope: 'create:signing_keys',
          parameters: [{ name: 'alg', in: 'query', schema: { enum: ['RS256', 'PS256', 'ES256', 'EdDSA'] } }],
          responses: {
            '201': {
              description:
                'The new current key (Auth0 shape; gatehouse keys have no `cert`); it signs from its `current_since`',
              content: json(ref('SigningKeyId')),
            },
          },
        }),
      },
      '/api/v2/keys/signing/{kid}/revoke': {
        put: managementOperation({
          tag: 'Signing keys',
          summary: 'Revoke a signing key at once',
          description:
            'The key leaves the JWKS and enters the revocation feed: every token it signed fails everywhere. ' +
            'Revoking the current key rotates first, so the server keeps signing; a revoked `next` key is replaced. ' +
            'With `GATEHOUSE_SIGNING=kms`: 403 `operation_not_supported` (remove the key from the configuration).',
          scope: 'update:signing_keys',
          parameters: [{ name: 'kid', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'Revoked', content: json(ref('SigningKeyId')) } },
          errors: ['404'],
        }),
      },
      '/api/v2/keys/signing/{kid}': {
        get: managementOperation({
          tag: 'Signing keys',
          summary: 'Get a signing key (public parts)',
          scope: 'read:signing_keys',
          parameters: [{ name: 'kid', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'The key', content: json(ref('SigningKey')) } },
          errors: ['404'],
        }),
      },
      '/api/v2/logs': {
        get: managementOperation({
          tag: 'Logs',
          summary: 'Search the audit log',
          description:
            'Every administrative change made through the Management API (and the console’s sign-in, failed ' +
            'sign-in and sign-out), newest first, in Auth0’s log event shape. Types: `sapi` (change succeeded), ' +
            '`fapi` (refused or failed), `s`, `f`, `slo` (console), `seccft`, `feccft` (a federated client ' +
            'authentication at the OAuth endpoints succeeded or was refused). Before/after states never hold ' +
            'a secret, hash, private key or token; no event holds a token. Filters combine with AND. `q` is a subset of Auth0’s Lucene syntax: ' +
            '`field:value` terms joined by spaces or `AND`, fields `type`, `client_id`, `action`, `target_type`, ' +
            '`target_id` (bare or `"quoted"`) and `date:[A TO B]` (ISO 8601, `*` open; A inclusive, B exclusive); ' +
            'OR, NOT, wildcards and other fields are refused with 400. Auth0’s checkpoint paging (`from`, `take`) ' +
            'is not supported. Events are kept `GATEHOUSE_AUDIT_RETENTION_DAYS` (default 90).',
          scope: 'read:logs',
          parameters: [
            ...pagingParameters,
            {
              name: 'sort',
              in: 'query',
              schema: { enum: ['date:-1', 'date:1'] },
              description: 'Default date:-1',
            },
            {
              name: 'q',
              in: 'query',
              schema: { type: 'string', maxLength: 1000 },
              description: 'Search (see above)',
            },
            {
              name: 'type',
              in: 'query',
              schema: { enum: ['sapi', 'fapi', 's', 'f', 'slo', 'seccft', 'feccft'] },
            },
            {
              name: 'client_id',
              in: 'query',
              schema: { type: 'string' },
              description: 'Who made the change',
            },
            {
              name: 'action',
              in: 'query',
              schema: { type: 'string' },
              description: 'e.g. `client.secret_rotated`',
            },
            {
              name: 'target_type',
              in: 'query',
              schema: {
                enum: [
                  'resource_server',
                  'client',
                  'client_credential',
                  'client_grant',
                  'signing_key',
                  'token',
                  'console_session',
                ],
              },
            },
            { name: 'target_id', in: 'query', schema: { type: 'string' } },
            {
              name: 'from_date',
              in: 'query',
              schema: { type: 'string', format: 'date-time' },
              description: 'Inclusive',
            },
            {
              name: 'to_date',
              in: 'query',
              schema: { type: 'string', format: 'date-time' },
              description: 'Exclusive',
            },
            {
              name: 'fields',
              in: 'query',
              schema: { type: 'string' },
              description: 'Comma-separated top-level members to keep (Auth0), e.g. `log_id,date,type`',
            },
            {
              name: 'include_fields',
              in: 'query',
              schema: { type: 'boolean' },
              description: 'false: drop the `fields` instead of keeping them',
            },
          ],
          responses: listResponse('logs', 'LogEvent'),
        }),
      },
      '/api/v2/logs/{id}': {
        get: managementOperation({
          tag: 'Logs',
          summary: 'Get one audit log event',
          scope: 'read:logs',
          parameters: [idPath('The log id (a ULID)')],
          responses: { '200': { description: 'The event', content: json(ref('LogEvent')) } },
          errors: ['404'],
        }),
      },
      '/api/v2/stats/tokens': {
        get: managementOperation({
          tag: 'Stats',
          summary: 'Token statistics: issued per client, failures, clients not caching',
          description:
            'gatehouse’s own (Auth0 has `/stats/daily` under the same scope). Counts come from per-instance ' +
            'counters flushed to the store every minute (several instances sum); the answering instance includes ' +
            'its own latest counts. `from` is rounded down and `to` up to the interval; by default the last 24 ' +
            'hours (or 30 days by day). A client is listed in `not_caching` when it got at least `min_ratio` ' +
            '(default 10) times the tokens one caching instance needs: ceil(3600 / token lifetime) per hour in ' +
            'which it got any.',
          scope: 'read:stats',
          parameters: [
            { name: 'from', in: 'query', schema: { type: 'string', format: 'date-time' } },
            { name: 'to', in: 'query', schema: { type: 'string', format: 'date-time' } },
            {
              name: 'interval',
              in: 'query',
              schema: { enum: ['hour', 'day'] },
              description: 'At most 744 hours or 366 days',
            },
            { name: 'client_id', in: 'query', schema: { type: 'string' } },
            { name: 'min_ratio', in: 'query', schema: { type: 'number', exclusiveMinimum: 0 } },
          ],
          responses: { '200': { description: 'The statistics', content: json(ref('TokenStats')) } },
        }),
      },
      '/admin': {
        get: {
          tags: ['Admin console'],
          summary: 'Redirects (308) to /admin/',
          responses: { '308': { description: 'To /admin/' } },
        },
      },
      '/admin/': {
        get: {
          tags: ['Admin console'],
          summary:
            'The admin console (strict CSP, no inline script); 503 with a how-to-build page when not built',
          responses: {
            '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } },
            '503': {
              description: 'The console was not built',
              content: { 'text/html': { schema: { type: 'string' } } },
            },
          },
        },
      },
      '/admin/assets/{name}': {
        get: {
          tags: ['Admin console'],
          summary: "The console's hashed static files",
          parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'The file' }, '404': { description: 'No such file' } },
        },
      },
      '/admin/session': {
        get: {
          tags: ['Admin console'],
          summary: 'The signed-in console session and its CSRF token (session cookie)',
          responses: {
            '200': { description: 'The session', content: json({ type: 'object' }) },
            '401': {
              description: 'No session, or it expired or ended',
              content: json(ref('ManagementError')),
            },
          },
        },
        post: {
          tags: ['Admin console'],
          summary:
            "Sign in with a Management API client's id and secret: runs the client-credentials grant and sets the HttpOnly, SameSite=Strict session cookie",
          requestBody: {
            required: true,
            content: json({
              type: 'object',
              required: ['client_id', 'client_secret'],
              properties: { client_id: { type: 'string' }, client_secret: { type: 'string' } },
            }),
          },
          responses: {
            '201': {
              description: 'Signed in: the session and its CSRF token',
              content: json({ type: 'object' }),
            },
            '400': { description: 'Malformed body', content: json(ref('ManagementError')) },
            '401': { description: 'Wrong client id or secret', content: json(ref('ManagementError')) },
            '403': {
              description: 'Cross-site request, or no Management API grant',
              content: json(ref('ManagementError')),
            },
            '429': {
              description: 'Too many failed sign-ins (Retry-After)',
              content: json(ref('ManagementError')),
            },
          },
        },
        delete: {
          tags: ['Admin console'],
          summary: "Sign out: deny-lists the session's token and removes the cookie (needs X-CSRF-Token)",
          responses: {
            '204': { description: 'Signed out' },
            '403': { description: 'Missing or wrong CSRF token', content: json(ref('ManagementError')) },
          },
        },
      },
      '/healthz': {
        get: {
          tags: ['Operations'],
          summary: 'Health: 200 when the store answers, 503 otherwise',
          responses: {
            '200': {
              description: 'Healthy',
              content: json({ type: 'object', properties: { status: { const: 'ok' } } }),
            },
            '503': { description: 'The store is unreachable', content: json({ type: 'object' }) },
          },
        },
      },
      '/metrics': {
        get: {
          tags: ['Operations'],
          summary: 'Prometheus metrics',
          responses: {
            '200': {
              description: 'Prometheus text exposition format',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
          },
        },
      },
      '/api/openapi.json': {
        get: {
          tags: ['Operations'],
          summary: 'This OpenAPI document',
          responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } },
        },
      },
      '/docs': {
        get: {
          tags: ['Operations'],
          summary: 'Reference page rendered from this document',
          responses: {
            '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } },
          },
        },
      },
    },
    components: {
      securitySchemes: {
        clientBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'client_secret_basic: form-url-encoded id and secret',
        },
        managementToken: {
          type: 'oauth2',
          description: `A gatehouse access token for the audience ${issuer}api/v2/`,
          flows: { clientCredentials: { tokenUrl: `${issuer}oauth/token`, scopes: managementScopes } },
        },
      },
      schemas: {
        OAuthError: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'string' }, error_description: { type: 'string' } },
        },
        ManagementError: {
          type: 'object',
          required: ['statusCode', 'error', 'message', 'errorCode'],
          properties: {
            statusCode: { type: 'integer' },
            error: { type: 'string' },
            message: { type: 'string' },
            errorCode: { type: 'string' },
          },
        },
        TokenResponse: {
          type: 'object',
          required: ['access_token', 'token_type', 'expires_in', 'scope'],
          properties: {
            access_token: { type: 'string', description: 'RFC 9068 JWT' },
            token_type: { const: 'Bearer' },
            expires_in: { type: 'integer' },
            scope: { type: 'string' },
          },
        },
        Jwks: {
          type: 'object',
          required: ['keys'],
          properties: { keys: { type: 'array', items: { type: 'object' } } },
        },
        AuthorizationServerMetadata: {
          type: 'object',
          required: ['issuer', 'token_endpoint', 'jwks_uri'],
          properties: {
            issuer: { type: 'string' },
            token_endpoint: { type: 'string' },
            jwks_uri: { type: 'string' },
            grant_types_supported: { type: 'array', items: { type: 'string' } },
            token_endpoint_auth_methods_supported: { type: 'array', items: { type: 'string' } },
            response_types_supported: { type: 'array', items: { type: 'string' } },
            service_documentation: { type: 'string' },
          },
        },
        Introspection: {
          type: 'object',
          required: ['active'],
          properties: {
            active: { type: 'boolean' },
            scope: { type: 'string' },
            client_id: { type: 'string' },
            sub: { type: 'string' },
            aud: { type: 'string' },
            iss: { type: 'string' },
            exp: { type: 'integer' },
            iat: { type: 'integer' },
            jti: { type: 'string' },
            token_type: { const: 'Bearer' },
          },
        },
        RevocationFeed: {
          type: 'object',
          required: ['cursor', 'full', 'tokens', 'cutoffs', 'keys'],
          properties: {
            cursor: { type: 'string', description: 'Opaque: pass it as `since` next time' },
            full: { type: 'boolean', description: 'true: the whole list (replace what you hold)' },
            tokens: {
              type: 'array',
              items: {
                type: 'object',
                required: ['jti', 'aud', 'exp'],
                properties: { jti: { type: 'string' }, aud: { type: 'string' }, exp: { type: 'integer' } },
              },
            },
            cutoffs: {
              type: 'array',
              items: {
                type: 'object',
                required: ['client_id', 'aud', 'at'],
                properties: {
                  client_id: { type: 'string' },
                  aud: { type: ['string', 'null'], description: 'null: every API' },
                  at: { type: 'integer', description: 'Epoch ms: tokens issued before it are invalid' },
                },
              },
            },
            keys: {
              type: 'array',
              items: {
                type: 'object',
                required: ['kid', 'revoked_at'],
                properties: { kid: { type: 'string' }, revoked_at: { type: 'integer' } },
              },
            },
          },
        },
        PolicyFeed: {
          type: 'object',
          required: ['audience', 'routes', 'updated_at'],
          properties: {
            audience: { type: 'string' },
            routes: { oneOf: [{ type: 'null' }, { type: 'array', items: ref('RouteRule') }] },
            updated_at: { type: 'integer', description: 'Epoch ms of the API’s last change' },
          },
        },
        RouteRule: {
          type: 'object',
          required: ['method', 'path', 'scopes'],
          properties: {
            method: { type: 'string', description: 'An HTTP method or `*`' },
            path: { type: 'string', description: '`{name}` matches one segment, a trailing `*` any rest' },
            scopes: { type: 'array', items: { type: 'string' }, description: 'All of them are needed' },
          },
        },
        BlacklistToken: jsonSchema(blacklistTokenSchema),
        BlacklistedToken: jsonSchema(blacklistedTokenSchema),
        RevokeClientTokens: jsonSchema(revokeClientTokensSchema),
        ClientCutoff: jsonSchema(clientCutoffResponseSchema),
        ResourceServer: jsonSchema(resourceServerResponseSchema),
        ResourceServerCreate: jsonSchema(createResourceServerSchema),
        ResourceServerUpdate: jsonSchema(updateResourceServerSchema),
        Client: jsonSchema(clientResponseSchema),
        ClientWithSecret: jsonSchema(clientWithSecretResponseSchema),
        RotateSecret: jsonSchema(rotateSecretSchema),
        RotatedSecret: jsonSchema(rotatedSecretResponseSchema),
        ClientCredential: jsonSchema(clientCredentialResponseSchema),
        ClientCredentialCreate: jsonSchema(createClientCredentialSchema),
        ClientCreate: jsonSchema(createClientSchema),
        ClientUpdate: jsonSchema(updateClientSchema),
        ClientGrant: jsonSchema(clientGrantResponseSchema),
        ClientGrantCreate: jsonSchema(createClientGrantSchema),
        ClientGrantUpdate: jsonSchema(updateClientGrantSchema),
        SigningKey: jsonSchema(signingKeyResponseSchema),
        SigningKeyId: {
          type: 'object',
          required: ['kid'],
          properties: {
            kid: { type: 'string' },
            cert: { type: 'string', description: 'Never present here' },
          },
        },
        LogEvent: {
          type: 'object',
          required: ['log_id', 'date', 'type', 'description', 'client_id', 'details'],
          properties: {
            log_id: { type: 'string', description: 'ULID: sorts by time' },
            date: { type: 'string', format: 'date-time' },
            type: { enum: ['sapi', 'fapi', 's', 'f', 'slo', 'seccft', 'feccft'] },
            description: { type: 'string' },
            client_id: {
              type: ['string', 'null'],
              description: 'Who: the Management API client or console session’s client',
            },
            client_name: { type: ['string', 'null'] },
            ip: { type: ['string', 'null'] },
            user_agent: { type: ['string', 'null'] },
            details: {
              type: 'object',
              required: ['action', 'outcome', 'target'],
              properties: {
                action: { type: 'string', description: 'e.g. `client.secret_rotated`' },
                outcome: { enum: ['success', 'failure'] },
                target: {
                  type: 'object',
                  properties: { type: { type: ['string', 'null'] }, id: { type: ['string', 'null'] } },
                },
                request: {
                  type: 'object',
                  properties: {
                    method: { type: 'string' },
                    path: { type: 'string' },
                    query: { type: 'object' },
                  },
                },
                response: { type: 'object', properties: { statusCode: { type: 'integer' } } },
                before: {
                  type: ['object', 'null'],
                  description: 'The Management API shape before; no secrets',
                },
                after: {
                  type: ['object', 'null'],
                  description: 'The Management API shape after; no secrets',
                },
                error: {
                  type: 'object',
                  properties: { errorCode: { type: 'string' }, message: { type: 'string' } },
                },
              },
            },
          },
        },
        TokenStats: {
          type: 'object',
          required: ['from', 'to', 'interval', 'buckets', 'issued', 'failures', 'not_caching'],
          properties: {
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
            interval: { enum: ['hour', 'day'] },
            buckets: {
              type: 'array',
              items: { type: 'string', format: 'date-time' },
              description: 'Bucket starts',
            },
            issued: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  client_id: { type: 'string' },
                  client_name: { type: ['string', 'null'] },
                  audience: { type: 'string' },
                  total: { type: 'integer' },
                  series: {
                    type: 'array',
                    items: { type: 'integer' },
                    description: 'Aligned with `buckets`',
                  },
                },
              },
            },
            failures: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  error: { type: 'string', description: 'OAuth error code' },
                  total: { type: 'integer' },
                  series: { type: 'array', items: { type: 'integer' } },
                },
              },
            },
            not_caching: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  client_id: { type: 'string' },
                  client_name: { type: ['string', 'null'] },
                  audience: { type: 'string' },
                  issued: { type: 'integer' },
                  token_lifetime: { type: 'integer', description: 'Average, seconds' },
                  expected: { type: 'integer', description: 'What one caching instance would need' },
                  ratio: { type: 'number' },
                },
              },
            },
          },
        },
      },
    },
  };
}
