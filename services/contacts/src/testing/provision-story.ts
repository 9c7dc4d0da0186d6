/**
 * Test fixture: sets up the original story on a gatehouse server through its Management API: the
 * contacts API (`read:contacts`, `write:contacts`), a Read Service (read only), a Write Service
 * (read and write) and an Expiring Service whose grant issues 1-second tokens for the same API.
 */
import { CONTACTS_SCOPES } from '../access/route-policy.ts';

/** Calls the Management API (`path` below `/api/v2/`) as an admin. */
export type ManagementCall = (method: string, path: string, body?: unknown) => Promise<Response>;

/** Client credentials. */
export interface StoryClient {
  clientId: string;
  clientSecret: string;
}

/** What `provisionContactsStory` created. */
export interface ContactsStory {
  audience: string;
  read: StoryClient;
  write: StoryClient;
  /** Tokens of this client live 1 second (grant `token_lifetime: 1`). */
  expiring: StoryClient;
}

/** Creates the contacts API and the three clients with their grants. */
export async function provisionContactsStory(
  management: ManagementCall,
  audience: string,
): Promise<ContactsStory> {
  await expectOk(
    await management('POST', 'resource-servers', {
      identifier: audience,
      name: 'Contacts API',
      scopes: CONTACTS_SCOPES,
    }),
  );
  const client = async (name: string, scope: string[], tokenLifetime?: number): Promise<StoryClient> => {
    const created = (await expectOk(await management('POST', 'clients', { name }))) as {
      client_id: string;
      client_secret: string;
    };
    await expectOk(
      await management('POST', 'client-grants', {
        client_id: created.client_id,
        audience,
        scope,
        ...(tokenLifetime === undefined ? {} : { token_lifetime: tokenLifetime }),
      }),
    );
    return { clientId: created.client_id, clientSecret: created.client_secret };
  };
  return {
    audience,
    read: await client('Read Service', ['read:contacts']),
    write: await client('Write Service', ['read:contacts', 'write:contacts']),
    expiring: await client('Expiring Service', ['read:contacts'], 1),
  };
}

async function expectOk(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!res.ok) throw new Error(`Management API answered ${res.status}: ${text}`);
  return JSON.parse(text);
}
