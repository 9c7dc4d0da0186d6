/**
 * `gatehouse token`: gets an access token as any client with the client credentials grant and
 * prints it (for `curl -H "Authorization: Bearer $(gatehouse token ...)"`), its whole answer with
 * `--json`, or its decoded header and claims with `--decode`. The only command that prints a token.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
import { Command, Option } from 'commander';
import type { CliContext } from '../context.ts';
import { requestToken } from '../http/request-token.ts';
import { resolveIssuer } from '../options/connection.ts';
import { collectScopeNames, parseIssuer, parseText } from '../options/parse-flags.ts';
import { resolveSecret } from '../options/read-secret.ts';
import { writeJson } from '../output/writer.ts';
import { decodeJwt, formatNumericDate } from './decode-jwt.ts';

interface TokenFlags {
  issuer?: string;
  clientId: string;
  clientSecret: string;
  audience: string;
  scope?: string[];
  decode?: boolean;
  json?: boolean;
}

/** Builds the `token` command. */
export function createTokenCommand(context: CliContext): Command {
  const command = new Command('token')
    .description('get an access token as a client (client credentials grant) and print it')
    .summary('get an access token as a client')
    .addOption(
      new Option('--client-id <id>', 'the client to act as').argParser(parseText).makeOptionMandatory(),
    )
    .addOption(
      new Option('--client-secret <secret>', 'its secret, or - to read it from stdin')
        .argParser(parseText)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--audience <identifier>', 'identifier of the API the token is for')
        .argParser(parseText)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--scope <scope>',
        'ask for only these granted scopes (repeat, or separate with spaces); default all',
      ).argParser(collectScopeNames),
    )
    .option(
      '--decode',
      'print the decoded header and claims instead of the token (the signature is NOT verified)',
    )
    .option('--json', 'print the token endpoint answer as JSON (with --decode: {header, payload})')
    .addOption(
      new Option(
        '--issuer <url>',
        'server issuer URL (env GATEHOUSE_ISSUER, default http://localhost:4000/)',
      ).argParser(parseIssuer),
    )
    .addHelpText(
      'after',
      `
The client's own id and secret are used here, not the admin credentials.

Examples:
  $ gatehouse token --client-id kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU --client-secret "$SECRET" \\
      --audience https://contacts.example
  $ curl -H "Authorization: Bearer $(gatehouse token --client-id kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU \\
      --client-secret "$SECRET" --audience https://contacts.example --scope read:contacts)" \\
      http://localhost:4001/contacts
  $ printf %s "$SECRET" | gatehouse token --client-id kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU --client-secret - \\
      --audience https://contacts.example --decode`,
    );
  command.action(async (flags: TokenFlags) => {
    const answer = await requestToken({
      issuer: resolveIssuer(flags.issuer, context.env),
      clientId: flags.clientId,
      clientSecret: await resolveSecret(flags.clientSecret, '--client-secret'),
      audience: flags.audience,
      scope: flags.scope?.join(' '),
    });
    if (!flags.decode) {
      if (flags.json) return writeJson(context.writer, answer);
      return context.writer.out(answer.access_token);
    }
    const decoded = decodeJwt(answer.access_token);
    if (flags.json) return writeJson(context.writer, decoded);
    const now = Date.now() / 1000;
    const times = (['iat', 'exp'] as const)
      .map((claim) => [claim, formatNumericDate(decoded.payload[claim], now)] as const)
      .filter(([, text]) => text !== undefined)
      .map(([claim, text]) => `${claim}: ${text}`);
    context.writer.out(
      [
        'Header:',
        JSON.stringify(decoded.header, null, 2),
        '',
        'Claims:',
        JSON.stringify(decoded.payload, null, 2),
        ...(times.length > 0 ? ['', ...times] : []),
      ].join('\n'),
    );
    context.writer.err('note: decoded only; the signature was not verified.');
  });
  return command;
}
