/**
 * The `gatehouse-contacts` command:
 *   gatehouse-contacts [serve]        start the contacts HTTP API (CONTACTS_* variables)
 *   gatehouse-contacts table create   create the DynamoDB table, idempotently
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { serveContacts } from '../http/serve.ts';
import { createDynamoDbClient } from '../store/create-contact-store.ts';
import { createContactsTable, TableMismatchError } from '../store/dynamodb-table.ts';

const USAGE = `Usage:
  gatehouse-contacts [serve]        Start the contacts HTTP API
  gatehouse-contacts table create   Create the DynamoDB table (idempotent)

Environment:
  CONTACTS_PORT               port (default 4001)
  CONTACTS_HOST               interface (default 127.0.0.1; 0.0.0.0 in containers)
  GATEHOUSE_ISSUER            authorization server (default http://localhost:4000/)
  CONTACTS_AUDIENCE           this API's identifier (default https://contacts.gatehouse.local/)
  CONTACTS_STORE              sqlite (default) | dynamodb
  CONTACTS_DATA_DIR           SQLite directory (default ./.contacts)
  CONTACTS_TABLE              DynamoDB table (default contacts)
  CONTACTS_DYNAMODB_ENDPOINT  DynamoDB endpoint, e.g. http://127.0.0.1:8000 for DynamoDB Local
  CONTACTS_LOG_LEVEL          info (default), debug, warn, error, silent
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const command = positionals.join(' ') || 'serve';
  if (command === 'serve') return serve();
  if (command === 'table create') return tableCreate();
  process.stderr.write(`Unknown command: ${command}\n\n${USAGE}`);
  return 2;
}

async function serve(): Promise<number> {
  const service = await serveContacts(loadConfig());
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await service.close();
  return 0;
}

async function tableCreate(): Promise<number> {
  const config = loadConfig();
  const client = createDynamoDbClient(config);
  try {
    const outcome = await createContactsTable(client, config.table);
    const where = config.dynamodbEndpoint ?? `region ${config.awsRegion ?? '(from the AWS SDK)'}`;
    process.stdout.write(
      outcome === 'created'
        ? `Created DynamoDB table ${config.table} (${where}).\n`
        : `DynamoDB table ${config.table} already exists (${where}); left as is.\n`,
    );
    return 0;
  } finally {
    client.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof TableMismatchError) {
      process.stderr.write(`gatehouse-contacts: ${error.message}\n`);
      process.exitCode = 1;
    } else if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
      process.stderr.write(`gatehouse-contacts: the port is already in use (${error.message})\n`);
      process.exitCode = 1;
    } else if (
      error instanceof TypeError &&
      'code' in error &&
      String(error.code).startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`gatehouse-contacts: ${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      process.stderr.write(`gatehouse-contacts: ${message}\n`);
      process.exitCode = 1;
    }
  },
);
