import { readFile } from 'node:fs/promises';
import { parseRoutePolicy, type RoutePolicy, RoutePolicyError } from '@gatehouse/protocol';

/** Reads and validates a route policy JSON file; errors name the file and the offending field. */
export async function loadRoutePolicyFile(path: string): Promise<RoutePolicy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new RoutePolicyError(path, `cannot read the policy file (${reason})`);
  }
  return parseRoutePolicyText(text, path);
}

/** Parses policy JSON text (from a file or an environment variable) into a validated policy. */
export function parseRoutePolicyText(text: string, source: string): RoutePolicy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RoutePolicyError(source, `is not valid JSON (${(error as Error).message})`);
  }
  return parseRoutePolicy(json, source);
}
