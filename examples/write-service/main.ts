/**
 * Write Service: a service that may read and change contacts (grant: read:contacts write:contacts).
 * It creates a contact, ticks it with a conditional PUT (If-Match, so a concurrent change is never
 * overwritten), and lists the contacts.
 *
 *   CLIENT_ID=... CLIENT_SECRET=... npx tsx examples/write-service/main.ts "Ada Lovelace"
 */
import { createTokenClient } from '@gatehouse/client';
import { loadConfig } from './config.ts';

interface Contact {
  id: string;
  name: string;
  checked: boolean;
}

const config = loadConfig();
const name = process.argv[2] ?? `Contact created at ${new Date().toISOString()}`;
const client = createTokenClient({
  issuer: config.issuer,
  clientId: config.clientId,
  clientSecret: config.clientSecret,
  audience: config.audience,
});
const json = { 'content-type': 'application/json' };

try {
  // 1. Create: 201 with Location and ETag.
  const created = await client.fetch(`${config.contactsUrl}/contacts`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ name }),
  });
  if (created.status !== 201)
    throw new Error(`POST /contacts answered ${created.status}: ${await created.text()}`);
  const contact = (await created.json()) as Contact;
  console.log(`Write Service created ${JSON.stringify(contact.name)} at ${created.headers.get('location')}`);

  // 2. Replace, only if nobody changed it since (412 otherwise: fetch it again and retry).
  const ticked = await client.fetch(`${config.contactsUrl}/contacts/${contact.id}`, {
    method: 'PUT',
    headers: { ...json, 'if-match': created.headers.get('etag') ?? '*' },
    body: JSON.stringify({ name: contact.name, checked: true }),
  });
  if (!ticked.ok) throw new Error(`PUT answered ${ticked.status}: ${await ticked.text()}`);
  console.log(`Write Service ticked it (ETag now ${ticked.headers.get('etag')})`);

  // 3. List.
  const list = await client.fetch(`${config.contactsUrl}/contacts`);
  const { items } = (await list.json()) as { items: Contact[] };
  console.log(`Write Service sees ${items.length} contact(s) on the first page.`);
} catch (error) {
  console.error(`Write Service failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  client.close();
}
