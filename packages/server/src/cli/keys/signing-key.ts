/**
 * A signing key as `GET /api/v2/keys/signing` lists it (public parts only), parsed for display,
 * and the `keys list` table.
 * @see https://auth0.com/docs/api/management/v2/keys/get-signing-keys
 */
import { z } from 'zod';
import { CliResponseError } from '../errors.ts';
import { type Column, formatTable } from '../output/table.ts';

const SigningKeySchema = z.looseObject({
  kid: z.string(),
  alg: z.string().optional(),
  status: z.string().optional(),
  current: z.boolean().optional(),
  next: z.boolean().optional(),
  previous: z.boolean().optional(),
  revoked: z.boolean().optional(),
});

/** A signing key answer; unknown members are kept. */
export type SigningKey = z.infer<typeof SigningKeySchema>;

/** Parses the key list (a bare array, or `{keys: [...]}`); throws `CliResponseError` otherwise. */
export function parseSigningKeys(json: unknown): SigningKey[] {
  const list = Array.isArray(json) ? json : (json as { keys?: unknown } | null)?.keys;
  const parsed = z.array(SigningKeySchema).safeParse(list);
  if (!parsed.success)
    throw new CliResponseError('the server answered something that is not a list of signing keys');
  return parsed.data;
}

/** A key's state in one word: gatehouse's `status`, else derived from Auth0's flags. */
export function describeKeyStatus(key: SigningKey): string {
  if (key.status) return key.status;
  if (key.revoked) return 'revoked';
  if (key.current) return 'current';
  if (key.next) return 'next';
  if (key.previous) return 'previous';
  return '-';
}

/** Reads a time field that may be ISO text or epoch milliseconds, as ISO text. */
function formatTime(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value).toISOString();
  if (typeof value === 'string' && value !== '') return value;
  return undefined;
}

const field = (key: SigningKey, ...names: string[]) => {
  for (const name of names) {
    const value = formatTime(key[name]);
    if (value) return value;
  }
  return undefined;
};

const COLUMNS: Column<SigningKey>[] = [
  { header: 'kid', value: (key) => key.kid },
  { header: 'alg', value: (key) => key.alg },
  { header: 'status', value: describeKeyStatus },
  { header: 'signs from', value: (key) => field(key, 'current_since', 'activated_at') },
  { header: 'until', value: (key) => field(key, 'current_until', 'retired_at', 'revoked_at') },
];

/** The `keys list` table. */
export function formatSigningKeyTable(keys: readonly SigningKey[]): string {
  return formatTable(COLUMNS, keys);
}
