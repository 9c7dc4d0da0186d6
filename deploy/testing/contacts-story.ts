/**
 * The verification every deployment page ends with, as test code: provision the contacts story
 * through the Management API with the admin credential, get tokens with the client credentials
 * grant, and call the contacts API: the Read Service's write is refused (403), the Write Service
 * creates (201), the Read Service lists, no token is 401, an expired token is 401.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1
 */
import { type ContactsStory, provisionContactsStory } from '@gatehouse/contacts/testing';

/** Where the authorization server answers and who administers it. */
export interface AuthorizationServerAccess {
  /** Base URL of the server's endpoints, no trailing slash (may differ from the issuer behind a proxy). */
  readonly baseUrl: string;
  /** Issuer identifier, ending in `/`: the Management API audience is `${issuer}api/v2/`. */
  readonly issuer: string;
  readonly admin: { readonly clientId: string; readonly clientSecret: string };
}

/** Requests a token with client_secret_basic; throws with the answer when refused. */
export async function requestToken(
  baseUrl: string,
  client: { clientId: string; clientSecret: string },
  audience: string,
): Promise<string> {
  const basic = Buffer.from(
    `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`,
  ).toString('base64');
  const res = await fetch(`${baseUrl}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', audience }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${text}`);
  return (JSON.parse(text) as { access_token: string }).access_token;
}

/** Provisions the contacts API and the Read, Write and Expiring services on the server. */
export async function provisionStory(
  server: AuthorizationServerAccess,
  audience: string,
): Promise<ContactsStory> {
  const adminToken = await requestToken(server.baseUrl, server.admin, `${server.issuer}api/v2/`);
  return provisionContactsStory(
    (method, path, body) =>
      fetch(`${server.baseUrl}/api/v2/${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    audience,
  );
}

/** One call of the story and its answer. */
export interface StoryStep {
  readonly step: string;
  readonly status: number;
  readonly wwwAuthenticate: string | null;
  readonly body: string;
}

/** The answers of the story's calls, in order, keyed by step name. */
export type StoryOutcome = Record<
  'readCreates' | 'writeCreates' | 'readLists' | 'noToken' | 'expiredToken',
  StoryStep
>;

/**
 * Runs the story against `contactsUrl` (e.g. `http://127.0.0.1:4001` or a REST API stage URL):
 * answers for the checks the caller makes. `waitForExpiry` sleeps past the 1-second token.
 */
export async function runContactsStory(
  server: AuthorizationServerAccess,
  story: ContactsStory,
  contactsUrl: string,
  options: { expiryWaitMs?: number } = {},
): Promise<StoryOutcome> {
  const readToken = await requestToken(server.baseUrl, story.read, story.audience);
  const writeToken = await requestToken(server.baseUrl, story.write, story.audience);
  const expiringToken = await requestToken(server.baseUrl, story.expiring, story.audience);
  const call = async (step: string, method: string, token: string | undefined, body?: unknown) => {
    const res = await fetch(`${contactsUrl}/contacts`, {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      step,
      status: res.status,
      wwwAuthenticate: res.headers.get('www-authenticate'),
      body: await res.text(),
    };
  };
  const readCreates = await call('Read Service creates', 'POST', readToken, { name: 'Ada' });
  const writeCreates = await call('Write Service creates', 'POST', writeToken, { name: 'Ada' });
  const readLists = await call('Read Service lists', 'GET', readToken);
  const noToken = await call('no token', 'GET', undefined);
  // Past exp and the authorizer's clock tolerance (5 s by default).
  await new Promise((resolve) => setTimeout(resolve, options.expiryWaitMs ?? 7_000));
  const expiredToken = await call('expired token', 'GET', expiringToken);
  return { readCreates, writeCreates, readLists, noToken, expiredToken };
}
