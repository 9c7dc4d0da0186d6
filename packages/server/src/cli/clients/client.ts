/**
 * A client (a calling service) as the Management API answers it, parsed for display, with its
 * table and detail views. `client_secret` is present only in the create and rotate answers.
 * @see https://auth0.com/docs/api/management/v2/clients/get-clients-by-id
 */
import { z } from 'zod';
import { CliResponseError } from '../errors.ts';
import { formatRecord } from '../output/record.ts';
import { type Column, formatTable } from '../output/table.ts';

const ClientSchema = z.looseObject({
  client_id: z.string(),
  name: z.string().optional(),
  description: z.string().optional(),
  app_type: z.string().optional(),
  client_secret: z.string().optional(),
  previous_secret_expires_at: z.string().nullable().optional(),
  disabled: z.boolean().optional(),
});

/** A client answer; unknown members are kept. */
export type Client = z.infer<typeof ClientSchema>;

const FIRST_FIELDS = [
  'client_id',
  'name',
  'description',
  'disabled',
  'app_type',
  'token_endpoint_auth_method',
];

/** Parses one client from an answer; throws `CliResponseError` when it is not one. */
export function parseClient(json: unknown): Client {
  const parsed = ClientSchema.safeParse(json);
  if (!parsed.success) throw new CliResponseError('the server answered something that is not a client');
  return parsed.data;
}

const COLUMNS: Column<Client>[] = [
  { header: 'client id', value: (client) => client.client_id },
  { header: 'name', value: (client) => client.name, maxWidth: 40 },
  { header: 'status', value: (client) => (client.disabled === true ? 'disabled' : 'enabled') },
  { header: 'description', value: (client) => client.description, maxWidth: 50 },
];

/** The `clients list` table. */
export function formatClientTable(clients: readonly Client[]): string {
  return formatTable(COLUMNS, clients);
}

/** The `clients get|update` view; never shows a secret, even if a server sent one. */
export function formatClientDetails(client: Client): string {
  return formatRecord(client, { first: FIRST_FIELDS, omit: ['client_secret'] });
}

/** The `clients create|rotate-secret` view: the details with the new secret last. */
export function formatClientWithSecret(client: Client): string {
  return formatRecord(client, {
    first: FIRST_FIELDS,
    last: ['client_secret'],
    omit: ['previous_secret_expires_at'],
  });
}
