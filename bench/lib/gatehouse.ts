/**
 * What the benches need of a running gatehouse server: Basic credentials, JSON calls, and a
 * contacts API with one client granted `read:contacts`, made through the Management API as the
 * admin (exactly as a user would, over HTTP).
 */

/** `client_secret_basic` credentials (RFC 6749 2.3.1: each part form-encoded). */
export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** Fetches `url` and answers its JSON body; throws with the status and body unless 2xx. */
export async function json(url: string, init: RequestInit): Promise<Record<string, unknown>> {
  const r = await fetch(url, init);
  const body = (await r.json()) as Record<string, unknown>;
  if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${r.status} ${JSON.stringify(body)}`);
  return body;
}

/** A client of the bench API, with its secret. */
export interface BenchClient {
  audience: string;
  clientId: string;
  clientSecret: string;
  /** The admin's Management API token that made them. */
  managementToken: string;
}

/**
 * Creates the API `audience` (scope `read:contacts`, RS256), a client and its grant on the server
 * at `issuer`, as the admin.
 */
export async function provisionBenchClient(
  issuer: string,
  admin: { id: string; secret: string },
  audience: string,
): Promise<BenchClient> {
  const mgmt = await json(`${issuer}oauth/token`, {
    method: 'POST',
    headers: {
      authorization: basic(admin.id, admin.secret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', audience: `${issuer}api/v2/` }),
  });
  const headers = { authorization: `Bearer ${mgmt.access_token}`, 'content-type': 'application/json' };
  await json(`${issuer}api/v2/resource-servers`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      identifier: audience,
      name: 'Contacts',
      scopes: [{ value: 'read:contacts', description: 'Read' }],
      signing_alg: 'RS256',
    }),
  });
  const client = await json(`${issuer}api/v2/clients`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: 'Bench' }),
  });
  await json(`${issuer}api/v2/client-grants`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ client_id: client.client_id, audience, scope: ['read:contacts'] }),
  });
  return {
    audience,
    clientId: String(client.client_id),
    clientSecret: String(client.client_secret),
    managementToken: String(mgmt.access_token),
  };
}
