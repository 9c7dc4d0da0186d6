/**
 * Finds an API by its id or by its identifier (the audience), so every `apis` command accepts
 * either: `gatehouse apis get https://contacts.example`.
 */
import { CliApiError } from '../errors.ts';
import type { ManagementClient } from '../http/management-client.ts';
import { parseListAnswer } from '../output/paging.ts';
import { parseResourceServer, type ResourceServer } from './resource-server.ts';

const SCAN_PAGE_SIZE = 100;
const SCAN_PAGE_LIMIT = 1000;

/** Whether an error means "no such id" (some servers answer 400 for an id of the wrong form). */
function isNotFound(error: unknown): boolean {
  return error instanceof CliApiError && (error.status === 404 || error.status === 400);
}

/** Looks an API up by id first, then by identifier; a `CliApiError` 404 when neither matches. */
export async function resolveApi(client: ManagementClient, reference: string): Promise<ResourceServer> {
  try {
    return parseResourceServer(await client.get(`resource-servers/${encodeURIComponent(reference)}`));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  for (let page = 0; page < SCAN_PAGE_LIMIT; page++) {
    const answer = await client.get('resource-servers', {
      page,
      per_page: SCAN_PAGE_SIZE,
      include_totals: true,
    });
    const { items, total } = parseListAnswer(answer, 'resource_servers');
    for (const item of items) {
      const api = parseResourceServer(item);
      if (api.identifier === reference) return api;
    }
    const seen = (page + 1) * SCAN_PAGE_SIZE;
    if (items.length < SCAN_PAGE_SIZE || (total !== undefined && seen >= total)) break;
  }
  throw new CliApiError(
    `404 Not Found: no API with id or identifier ${reference}`,
    404,
    'inexistent_resource_server',
  );
}
