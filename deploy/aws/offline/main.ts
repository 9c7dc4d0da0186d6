/**
 * `npm run offline`: the serverless system on this machine (serverless-offline and DynamoDB
 * Local, see start-offline-stack.ts) until Ctrl-C. Prints where everything is and the generated
 * admin credential, once, on the terminal. DynamoDB Local runs in memory: every start is fresh.
 * Ports: OFFLINE_HTTP_PORT (default 3000) and OFFLINE_LAMBDA_PORT (default 3002).
 */

import { readOfflineConfig } from './offline-config.ts';
import { startOfflineStack } from './start-offline-stack.ts';

const config = readOfflineConfig(process.env);
process.stdout.write('Starting DynamoDB Local and serverless offline (bundling the Lambdas)...\n');
const stack = await startOfflineStack({
  httpPort: config.httpPort,
  lambdaPort: config.lambdaPort,
  onOutput: config.verbose ? (chunk) => process.stdout.write(chunk) : undefined,
});
const { authorizationServerUrl, contactsUrl, admin, issuer } = stack;
process.stdout.write(`
gatehouse, serverless, offline
  authorization server (HTTP API, Lambda)   ${authorizationServerUrl}/   issuer ${issuer}
  contacts API (REST API, Lambda per op)    ${contactsUrl}/contacts   behind the TOKEN authorizer
  DynamoDB Local (in memory)                ${stack.dynamodbEndpoint}

Admin credential (shown once, gone when this stops):
  GATEHOUSE_ADMIN_CLIENT_ID=${admin.clientId}
  GATEHOUSE_ADMIN_CLIENT_SECRET=${admin.clientSecret}

Verify (docs/deploy/verify.md):
  AS=${authorizationServerUrl} CONTACTS=${contactsUrl} GATEHOUSE_ADMIN_CLIENT_ID=${admin.clientId} \\
  GATEHOUSE_ADMIN_CLIENT_SECRET=<above> deploy/verify-contacts.sh

Ctrl-C stops everything.
`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nStopping...\n');
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
