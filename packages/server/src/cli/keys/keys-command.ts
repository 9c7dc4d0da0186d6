/**
 * `gatehouse keys list|rotate|revoke`: the server's signing keys (public information only: kid,
 * algorithm, state and times) through `/api/v2/keys/signing`.
 * @see https://auth0.com/docs/api/management/v2/keys/get-signing-keys
 * @see https://auth0.com/docs/api/management/v2/keys/post-signing-keys
 */
import { Command, Option } from 'commander';
import { z } from 'zod';
import { type CliContext, openManagementApi } from '../context.ts';
import { CliResponseError } from '../errors.ts';
import { addConnectionOptions, type ConnectionFlags } from '../options/connection.ts';
import { acceptDashOperands } from '../options/dash-operands.ts';
import { addJsonOption } from '../options/list-options.ts';
import { SIGNING_ALGS } from '../options/parse-flags.ts';
import { writeJson } from '../output/writer.ts';
import { formatSigningKeyTable, parseSigningKeys } from './signing-key.ts';

function addList(keys: Command, context: CliContext): void {
  const command = keys
    .command('list')
    .description(
      'list the signing keys: the current one, the next one (published ahead), previous and revoked ones',
    );
  addJsonOption(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Private keys never leave the server; the public keys are also at {issuer}.well-known/jwks.json.

Examples:
  $ gatehouse keys list
  $ gatehouse keys list --json`,
  );
  command.action(async (flags: ConnectionFlags & { json?: boolean }) => {
    const client = await openManagementApi(context, flags);
    const answer = await client.get('keys/signing');
    if (flags.json) return writeJson(context.writer, answer);
    const list = parseSigningKeys(answer);
    context.writer.out(list.length === 0 ? 'No signing keys yet.' : formatSigningKeyTable(list));
  });
}

const KidAnswerSchema = z.looseObject({ kid: z.string() });

/** When a key answer says the key became (or becomes) current, epoch ms; undefined without a valid time. */
function startOf(json: unknown): number | undefined {
  const since = (json as { current_since?: unknown } | null)?.current_since;
  const at = typeof since === 'string' ? Date.parse(since) : Number.NaN;
  return Number.isNaN(at) ? undefined : at;
}

function parseKidAnswer(json: unknown): string {
  const parsed = KidAnswerSchema.safeParse(json);
  if (!parsed.success) throw new CliResponseError('the server answered something that is not a signing key');
  return parsed.data.kid;
}

function addRotate(keys: Command, context: CliContext): void {
  const command = keys
    .command('rotate')
    .description(
      'rotate a signing key: the next key (already published in the JWKS) starts signing, a new next key is published',
    )
    .addOption(
      new Option('--alg <alg>', 'which algorithm’s key to rotate (default RS256)').choices(SIGNING_ALGS),
    );
  addJsonOption(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Tokens signed by the previous key keep verifying: it stays in the JWKS until they have all
expired. A next key published less than 10 minutes ago (two JWKS cache lifetimes, or two
GATEHOUSE_SYNC_SECONDS if longer) starts signing only then, the previous key signing meanwhile:
the answer says when. The server also rotates on its own every GATEHOUSE_KEY_ROTATION_DAYS days
when set.

Examples:
  $ gatehouse keys rotate
  $ gatehouse keys rotate --alg ES256 --json`,
  );
  command.action(async (flags: ConnectionFlags & { alg?: string; json?: boolean }) => {
    const client = await openManagementApi(context, flags);
    const answer = await client.post(`keys/signing/rotate${flags.alg ? `?alg=${flags.alg}` : ''}`);
    if (flags.json) return writeJson(context.writer, answer);
    const kid = parseKidAnswer(answer);
    const alg = flags.alg ?? 'RS256';
    // A key published too recently for every instance and verifier to hold it starts later: say
    // when. The rotation is done: a failed look-up only leaves the time unsaid.
    const startsAt = await client.get(`keys/signing/${encodeURIComponent(kid)}`).then(startOf, () => null);
    const rotated = `Rotated the ${alg} signing key: ${kid}`;
    const kept = 'stays published until its tokens expire.';
    context.writer.out(
      startsAt === null || startsAt === undefined
        ? `${rotated} is current (\`gatehouse keys list\` shows when it signs); the previous key ${kept}`
        : startsAt <= Date.now()
          ? `${rotated} signs from now on; the previous key ${kept}`
          : `${rotated} signs from ${new Date(startsAt).toISOString()}, once it has been published long enough for every instance and verifier to hold it; the previous key signs until then and ${kept}`,
    );
  });
}

function addRevoke(keys: Command, context: CliContext): void {
  const command = keys
    .command('revoke')
    .description('revoke a signing key at once (emergency): every token it signed stops being accepted')
    .argument('<kid>', 'the key id (see `gatehouse keys list`)');
  addJsonOption(command);
  addConnectionOptions(command);
  acceptDashOperands(command);
  command.addHelpText(
    'after',
    `
A kid may begin with \`-\` (it is a base64url thumbprint); give it as it is.
The key leaves the JWKS and enters the revocation feed, so authorizers refuse its tokens within
GATEHOUSE_SYNC_SECONDS, even while their JWKS cache still holds it. Revoking the current key first
rotates to the next one, so the server keeps issuing tokens; clients need new tokens.

Example:
  $ gatehouse keys revoke 3q2H0d7tQ1bVvWc7jK0xZk9YcA1F5uEo8Yq2mR4sT6w`,
  );
  command.action(async (kid: string, flags: ConnectionFlags & { json?: boolean }) => {
    const client = await openManagementApi(context, flags);
    const answer = await client.put(`keys/signing/${encodeURIComponent(kid)}/revoke`);
    if (flags.json) return writeJson(context.writer, answer);
    context.writer.out(
      `Revoked signing key ${parseKidAnswer(answer)}; tokens it signed are no longer accepted.`,
    );
  });
}

/** Builds the `keys` command group. */
export function createKeysCommand(context: CliContext): Command {
  const keys = new Command('keys')
    .description("inspect, rotate and revoke the server's token signing keys")
    .summary('manage signing keys');
  addList(keys, context);
  addRotate(keys, context);
  addRevoke(keys, context);
  return keys;
}
