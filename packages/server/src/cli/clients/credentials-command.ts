/**
 * `gatehouse clients credentials add|add-federated|list|delete`: the public keys a client signs its
 * `private_key_jwt` assertions with, and the workload issuers whose tokens it may present instead
 * (federated credentials), through `/api/v2/clients/{id}/credentials` (Auth0 shape).
 * @see https://auth0.com/docs/api/management/v2/clients/post-credentials
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.2
 */
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { CLIENT_ASSERTION_ALGS } from '../../discovery/metadata.ts';
import { type CliContext, openManagementApi } from '../context.ts';
import { CliUsageError } from '../errors.ts';
import { addConnectionOptions, type ConnectionFlags } from '../options/connection.ts';
import { addJsonOption } from '../options/list-options.ts';
import { parseText } from '../options/parse-flags.ts';
import { writeJson } from '../output/writer.ts';
import {
  formatCredentialDetails,
  formatCredentialTable,
  parseCredential,
  parseCredentials,
} from './credential.ts';

interface AddFlags extends ConnectionFlags {
  pemFile?: string;
  jwksUri?: string;
  alg?: string;
  name?: string;
  json?: boolean;
}

const credentialsPath = (clientId: string) => `clients/${encodeURIComponent(clientId)}/credentials`;

async function readPemFile(file: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliUsageError(
      `--pem-file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  // Checked here too, so a private key never even leaves this machine.
  if (/PRIVATE KEY/.test(pem)) {
    throw new CliUsageError(
      `--pem-file ${file}: holds a private key; give the public key (openssl pkey -pubout)`,
    );
  }
  return pem;
}

function addAdd(credentials: Command, context: CliContext): void {
  const command = credentials
    .command('add')
    .description('register a public key the client signs private_key_jwt assertions with')
    .argument('<client-id>', 'the client id')
    .addOption(new Option('--pem-file <file>', 'a PEM public key or certificate').conflicts('jwksUri'))
    .addOption(new Option('--jwks-uri <url>', "the client's JWK Set URL (https)"))
    .addOption(
      new Option('--alg <alg>', 'signing algorithm (default: the key type’s usual one)').choices(
        CLIENT_ASSERTION_ALGS,
      ),
    )
    .addOption(new Option('--name <name>', 'a name for the credential').argParser(parseText));
  addJsonOption(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
The client then authenticates with a JWT it signs (RFC 7523): iss = sub = its client id, aud the
token endpoint or the issuer, exp at most 5 minutes ahead, a jti it never reuses.

Examples:
  $ gatehouse clients credentials add kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU --pem-file client.pub --name ci
  $ gatehouse clients credentials add kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU --jwks-uri https://svc.example/jwks.json

A key pair for it, with OpenSSL (the private key stays with the client):
  $ openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out client.key
  $ openssl pkey -in client.key -pubout -out client.pub`,
  );
  command.action(async (clientId: string, flags: AddFlags) => {
    if ((flags.pemFile === undefined) === (flags.jwksUri === undefined)) {
      throw new CliUsageError('give one of --pem-file and --jwks-uri');
    }
    const body: Record<string, unknown> = { credential_type: 'public_key' };
    if (flags.pemFile !== undefined) body.pem = await readPemFile(flags.pemFile);
    if (flags.jwksUri !== undefined) body.jwks_uri = flags.jwksUri;
    if (flags.alg !== undefined) body.alg = flags.alg;
    if (flags.name !== undefined) body.name = flags.name;
    const client = await openManagementApi(context, flags);
    const answer = await client.post(credentialsPath(clientId), body);
    if (flags.json) return writeJson(context.writer, answer);
    context.writer.out(
      `Added a credential to client ${clientId}.\n\n${formatCredentialDetails(parseCredential(answer))}`,
    );
  });
}

interface AddFederatedFlags extends ConnectionFlags {
  externalIssuer: string;
  subject: string;
  audience: string;
  jwksUri?: string;
  name?: string;
  json?: boolean;
}

function addAddFederated(credentials: Command, context: CliContext): void {
  const command = credentials
    .command('add-federated')
    .description("trust a workload platform's token as the client's assertion (no secret to store)")
    .argument('<client-id>', 'the client id')
    .requiredOption('--external-issuer <url>', 'the workload issuer (its iss, or its discovery URL; https)')
    .requiredOption('--subject <sub>', 'the exact sub, or a prefix ending in :* or /*')
    .requiredOption('--audience <aud>', 'the audience the workload requests its token for')
    .addOption(new Option('--jwks-uri <url>', "the issuer's JWK Set URL, when it publishes no discovery"))
    .addOption(new Option('--name <name>', 'a name for the credential').argParser(parseText));
  addJsonOption(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
The workload then sends its platform token as client_assertion (RFC 7523), with
client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer. See docs/federation.md
for the claims checked per issuer kind (kubernetes, spiffe, aws, github-actions, oidc).

Examples:
  $ gatehouse clients credentials add-federated kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU \
      --external-issuer https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE \
      --subject 'system:serviceaccount:payments:*' --audience https://gatehouse.example.com/
  $ gatehouse clients credentials add-federated kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU \
      --external-issuer https://token.actions.githubusercontent.com \
      --subject repo:acme/api:environment:prod --audience https://gatehouse.example.com/`,
  );
  command.action(async (clientId: string, flags: AddFederatedFlags) => {
    const body: Record<string, unknown> = {
      credential_type: 'federated',
      issuer: flags.externalIssuer,
      subject: flags.subject,
      audience: flags.audience,
    };
    if (flags.jwksUri !== undefined) body.jwks_uri = flags.jwksUri;
    if (flags.name !== undefined) body.name = flags.name;
    const client = await openManagementApi(context, flags);
    const answer = await client.post(credentialsPath(clientId), body);
    if (flags.json) return writeJson(context.writer, answer);
    context.writer.out(
      `Added a federated credential to client ${clientId}.\n\n${formatCredentialDetails(parseCredential(answer))}`,
    );
  });
}

function addList(credentials: Command, context: CliContext): void {
  const command = credentials
    .command('list')
    .description("list a client's credentials (public keys and federated credentials)")
    .argument('<client-id>', 'the client id');
  addJsonOption(command);
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Example:
  $ gatehouse clients credentials list kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU`,
  );
  command.action(async (clientId: string, flags: ConnectionFlags & { json?: boolean }) => {
    const client = await openManagementApi(context, flags);
    const answer = await client.get(credentialsPath(clientId));
    if (flags.json) return writeJson(context.writer, answer);
    const list = parseCredentials(answer);
    context.writer.out(list.length === 0 ? 'No credentials.' : formatCredentialTable(list));
  });
}

function addDelete(credentials: Command, context: CliContext): void {
  const command = credentials
    .command('delete')
    .description('delete a credential: assertions signed with its key stop working')
    .argument('<client-id>', 'the client id')
    .argument('<credential-id>', 'the credential id (cred_…)');
  addConnectionOptions(command);
  command.addHelpText(
    'after',
    `
Example:
  $ gatehouse clients credentials delete kX3n9QvT2bLw8RzY5mHc7JpD4sFa6GeU cred_4fT9kQ2mZ7xW1bNc`,
  );
  command.action(async (clientId: string, credentialId: string, flags: ConnectionFlags) => {
    const client = await openManagementApi(context, flags);
    await client.delete(`${credentialsPath(clientId)}/${encodeURIComponent(credentialId)}`);
    context.writer.out(`Deleted credential ${credentialId} of client ${clientId}.`);
  });
}

/** Builds the `clients credentials` command group. */
export function createCredentialsCommand(context: CliContext): Command {
  const credentials = new Command('credentials')
    .description(
      "manage a client's public keys (private_key_jwt) and federated credentials (workload identity), RFC 7523",
    )
    .summary('manage public-key and federated credentials');
  addAdd(credentials, context);
  addAddFederated(credentials, context);
  addList(credentials, context);
  addDelete(credentials, context);
  return credentials;
}
