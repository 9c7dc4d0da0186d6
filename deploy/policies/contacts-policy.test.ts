import { readFile } from 'node:fs/promises';
import { CONTACTS_ROUTE_POLICY } from '@gatehouse/contacts';
import { describe, expect, it } from 'vitest';

describe('deploy/policies/contacts-policy.json', () => {
  it('is the contacts service route policy, for the forward-auth and Lambda authorizers', async () => {
    const file = JSON.parse(await readFile(new URL('./contacts-policy.json', import.meta.url), 'utf8'));
    expect(file).toEqual(CONTACTS_ROUTE_POLICY);
  });
});
