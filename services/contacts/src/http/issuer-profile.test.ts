/**
 * The original Auth0-based deployment, swapped onto gatehouse's authorizer without touching Auth0:
 * the contacts service configured with CONTACTS_ISSUER_PROFILE=auth0 accepts Auth0 M2M tokens
 * (from a local stand-in that mints them as Auth0 does, see test/issuers/product-issuers.ts), which
 * the token client gets with Auth0's JSON body, found from Auth0's discovery document.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createTokenClient, type TokenClient } from '@gatehouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProductIssuer, startProductIssuer } from '../../../../test/issuers/product-issuers.ts';
import { loadConfig } from '../config.ts';
import { type RunningContactsService, serveContacts } from './serve.ts';

const API = 'https://contacts.example.com';
let auth0: ProductIssuer;
let service: RunningContactsService;
let dataDir: string;
let reader: TokenClient;
let writer: TokenClient;

beforeAll(async () => {
  auth0 = await startProductIssuer('auth0', {
    audience: API,
    clients: [
      { id: 'read-service', secret: 'read-secret', scopes: ['read:contacts'] },
      { id: 'write-service', secret: 'write-secret', scopes: ['read:contacts', 'write:contacts'] },
    ],
  });
  dataDir = await mkdtemp(join(tmpdir(), 'contacts-auth0-'));
  const config = loadConfig({
    CONTACTS_PORT: '0',
    GATEHOUSE_ISSUER: auth0.issuer,
    CONTACTS_ISSUER_PROFILE: 'auth0',
    CONTACTS_AUDIENCE: API,
    CONTACTS_DATA_DIR: dataDir,
    CONTACTS_LOG_LEVEL: 'silent',
  });
  service = await serveContacts(config, new Writable({ write: (_c, _e, done) => done() }));
  const client = (id: string, secret: string) =>
    createTokenClient({ issuer: auth0.issuer, clientId: id, clientSecret: secret, audience: API });
  reader = client('read-service', 'read-secret');
  writer = client('write-service', 'write-secret');
});

afterAll(async () => {
  reader?.close();
  writer?.close();
  await service?.close();
  await auth0?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the contacts service behind Auth0 tokens', () => {
  it('lets the write service create a contact and the read service list it, and refuses the read service a write', async () => {
    const created = await writer.fetch(`${service.url}/contacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ada' }),
    });
    expect(created.status).toBe(201);
    const list = await reader.fetch(`${service.url}/contacts`);
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: { name: string }[] }).items.map((c) => c.name)).toContain('Ada');
    const refused = await reader.fetch(`${service.url}/contacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Eve' }),
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(auth0.tokenRequests.every((r) => r.contentType === 'application/json')).toBe(true);
  });

  it('refuses a user token for the same API (not a client-credentials subject)', async () => {
    const token = auth0.mint('read-service', { sub: 'auth0|64d1f0c2a1b2c3d4e5f60789', gty: undefined });
    const res = await fetch(`${service.url}/contacts`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});
