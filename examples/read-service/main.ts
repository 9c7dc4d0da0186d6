/**
 * Read Service: a service that may read contacts but not change them (grant: read:contacts).
 * It gets its token with the gatehouse token client, which caches and renews it, and calls the
 * contacts API with `client.fetch`, which adds `Authorization: Bearer <token>`.
 *
 *   CLIENT_ID=... CLIENT_SECRET=... npx tsx examples/read-service/main.ts
 */
import { createTokenClient } from '@gatehouse/client';
import { loadConfig } from './config.ts';

const config = loadConfig();
const client = createTokenClient({
  issuer: config.issuer,
  clientId: config.clientId,
  clientSecret: config.clientSecret,
  audience: config.audience,
});

try {
  // 1. Read: allowed.
  const res = await client.fetch(`${config.contactsUrl}/contacts?limit=100`);
  if (!res.ok) throw new Error(`GET /contacts answered ${res.status}: ${await res.text()}`);
  const { items } = (await res.json()) as { items: Array<{ id: string; name: string; checked: boolean }> };
  console.log(`Read Service sees ${items.length} contact(s):`);
  for (const c of items) console.log(`  [${c.checked ? 'x' : ' '}] ${c.name}  (${c.id})`);

  // 2. Write: refused with 403 insufficient_scope, because the grant holds only read:contacts.
  const write = await client.fetch(`${config.contactsUrl}/contacts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Should not be created' }),
  });
  console.log(
    `Read Service tried to create a contact: ${write.status} ${write.headers.get('www-authenticate') ?? ''}`,
  );
  if (write.status !== 403) process.exitCode = 1;
} catch (error) {
  console.error(`Read Service failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  client.close();
}
