/**
 * A client grant (which scopes a client may ask for at one API) as the Management API answers
 * it, parsed for display, with its table and detail views.
 * @see https://auth0.com/docs/api/management/v2/client-grants/get-client-grants
 */
import { z } from 'zod';
import { CliResponseError } from '../errors.ts';
import { formatRecord } from '../output/record.ts';
import { type Column, formatTable } from '../output/table.ts';

const ClientGrantSchema = z.looseObject({
  id: z.string(),
  client_id: z.string(),
  audience: z.string(),
  scope: z.array(z.string()).optional(),
});

/** A client grant answer; unknown members are kept. */
export type ClientGrant = z.infer<typeof ClientGrantSchema>;

/** Parses one client grant from an answer; throws `CliResponseError` when it is not one. */
export function parseClientGrant(json: unknown): ClientGrant {
  const parsed = ClientGrantSchema.safeParse(json);
  if (!parsed.success) throw new CliResponseError('the server answered something that is not a client grant');
  return parsed.data;
}

const COLUMNS: Column<ClientGrant>[] = [
  { header: 'id', value: (grant) => grant.id },
  { header: 'client id', value: (grant) => grant.client_id },
  { header: 'audience', value: (grant) => grant.audience, maxWidth: 48 },
  { header: 'scope', value: (grant) => grant.scope, maxWidth: 60 },
  { header: 'lifetime', value: (grant) => grant.token_lifetime, align: 'right' },
];

/** The `grants list` table. */
export function formatClientGrantTable(grants: readonly ClientGrant[]): string {
  return formatTable(COLUMNS, grants);
}

/** The `grants create|update` view. */
export function formatClientGrantDetails(grant: ClientGrant): string {
  return formatRecord(grant, { first: ['id', 'client_id', 'audience', 'scope', 'token_lifetime'] });
}
