/**
 * deploy/aws/serverless.yml, without an AWS account: `serverless package` (osls, serverless-esbuild,
 * no credentials) and the CloudFormation template it writes, asserted; then the whole system run
 * with serverless-offline and DynamoDB Local and the original story driven through it over HTTP.
 * About a minute; needs Java 17 for DynamoDB Local.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionStory, runContactsStory } from '../testing/contacts-story.ts';
import { runVerifyScript } from '../testing/verify-script.ts';
import { freePort } from '../testing/wait-for-health.ts';
import { listZipEntries } from '../testing/zip-entries.ts';
import { CONTACTS_OPERATIONS, SERVER_TABLE_ACTIONS } from './cdk/gatehouse-stack.ts';
import { type OfflineStack, startOfflineStack } from './offline/start-offline-stack.ts';

const run = promisify(execFile);
const SERVICE_DIR = fileURLToPath(new URL('.', import.meta.url));
const SERVERLESS = createRequire(import.meta.url).resolve('osls/bin/serverless.js');

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json & { Policies?: { PolicyDocument: { Statement: Statement[] } }[] };
}
interface Statement {
  Effect: string;
  Action: string[];
  Resource: unknown;
}

/** The DynamoDB actions each function may make on its table, and nothing else: the CDK app's, so both build the same system. */
const TABLE_ACTIONS: Record<string, { table: string; actions: string[] }> = {
  ...Object.fromEntries(
    CONTACTS_OPERATIONS.map((o) => [
      `Contacts${o.name[0]?.toUpperCase()}${o.name.slice(1)}`,
      { table: 'ContactsTable', actions: [...o.actions].sort() },
    ]),
  ),
  AuthorizationServer: { table: 'GatehouseTable', actions: [...SERVER_TABLE_ACTIONS].sort() },
  ContactsAuthorizer: { table: '', actions: [] },
};

/** Each REST method, the function behind it and the scope its route needs. */
const METHODS = [
  { id: 'ApiGatewayMethodContactsGet', fn: 'ContactsList', scope: 'read:contacts' },
  { id: 'ApiGatewayMethodContactsIdVarGet', fn: 'ContactsGet', scope: 'read:contacts' },
  { id: 'ApiGatewayMethodContactsPost', fn: 'ContactsCreate', scope: 'write:contacts' },
  { id: 'ApiGatewayMethodContactsIdVarPut', fn: 'ContactsUpdate', scope: 'write:contacts' },
  { id: 'ApiGatewayMethodContactsIdVarDelete', fn: 'ContactsDelete', scope: 'write:contacts' },
];

interface Packaged {
  out: string;
  resources: Record<string, Resource>;
  conditions: Record<string, unknown>;
  remove(): Promise<void>;
}

/** `serverless package` for a stage, with no AWS credentials and no network to AWS: packaging must need neither. */
async function packageStage(stage: string): Promise<Packaged> {
  const out = await mkdtemp(join(tmpdir(), 'gatehouse-sls-'));
  const workFolder = `.esbuild-test-${randomBytes(4).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: out,
    GATEHOUSE_ESBUILD_WORK_FOLDER: workFolder,
  };
  await run(
    process.execPath,
    [SERVERLESS, 'package', '--stage', stage, '--region', 'eu-west-1', '--package', out],
    { cwd: SERVICE_DIR, env, maxBuffer: 16 * 1024 * 1024 },
  );
  const template = JSON.parse(await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
  return {
    out,
    resources: template.Resources,
    conditions: template.Conditions ?? {},
    async remove() {
      await rm(join(SERVICE_DIR, workFolder), { recursive: true, force: true });
      await rm(out, { recursive: true, force: true });
    },
  };
}

/** Whether a `Fn::Not [Fn::Equals [value, ""]]` condition holds, as CloudFormation evaluates it. */
function holds(condition: unknown): boolean {
  const equals = (condition as { 'Fn::Not': [{ 'Fn::Equals': [unknown, unknown] }] })['Fn::Not'][0][
    'Fn::Equals'
  ];
  return equals[0] !== equals[1];
}

/** The statements of the KMS policies attached to the server's role whose condition holds. */
function kmsStatements(pkg: Packaged): (Statement & { Condition?: unknown })[] {
  return Object.values(pkg.resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((r) => {
      const condition = (r as unknown as { Condition?: string }).Condition;
      return condition === undefined || holds(pkg.conditions[condition]);
    })
    .filter((r) => JSON.stringify(r.Properties.Roles).includes('AuthorizationServerIamRoleLambdaExecution'))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

describe('serverless package', () => {
  let out: string;
  let resources: Record<string, Resource>;
  let pkg: Packaged;

  beforeAll(async () => {
    pkg = await packageStage('dev');
    out = pkg.out;
    resources = pkg.resources;
  }, 120_000);

  afterAll(async () => {
    await pkg?.remove();
  });

  const fn = (name: string) => resources[`${name}LambdaFunction`]?.Properties as Json;

  it('makes one arm64 nodejs22.x Lambda per contacts operation, the authorizer and the server', () => {
    const functions = Object.keys(resources).filter((k) => resources[k]?.Type === 'AWS::Lambda::Function');
    expect(functions.sort()).toEqual(
      Object.keys(TABLE_ACTIONS)
        .map((n) => `${n}LambdaFunction`)
        .sort(),
    );
    for (const name of Object.keys(TABLE_ACTIONS)) {
      expect(fn(name)).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    }
  });

  it('puts every contacts method behind the TOKEN authorizer, answered afresh on every request', () => {
    for (const method of METHODS) {
      const props = resources[method.id]?.Properties as Json;
      expect(props.AuthorizationType, method.id).toBe('CUSTOM');
      expect(props.AuthorizerId).toEqual({ Ref: 'ContactsAuthorizerApiGatewayAuthorizer' });
      expect(JSON.stringify(props.Integration)).toContain(`${method.fn}LambdaFunction`);
    }
    const authorizer = resources.ContactsAuthorizerApiGatewayAuthorizer?.Properties as Json;
    expect(authorizer).toMatchObject({
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 0,
    });
    expect(JSON.stringify(authorizer.AuthorizerUri)).toContain('ContactsAuthorizerLambdaFunction');
    const methods = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::Method');
    expect(methods).toHaveLength(METHODS.length);
  });

  it('bundles the route policy in the authorizer, whose configuration is only the issuer, the audience and maybe its public keys', async () => {
    const env = (fn('ContactsAuthorizer').Environment as { Variables: Json }).Variables;
    expect(Object.keys(env).sort()).toEqual([
      'AUTHORIZER_AUDIENCE',
      'AUTHORIZER_JWKS',
      'GATEHOUSE_ISSUER',
      'NODE_OPTIONS',
    ]);
    // no JWKS preloaded unless --param authorizerJwks says so
    expect(env.AUTHORIZER_JWKS).toBe('');
    expect(fn('ContactsAuthorizer').Handler).toBe('handlers/contacts-authorizer.handler');
    expect(env.GATEHOUSE_ISSUER).toEqual({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      'Fn::Sub': 'https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/',
    });
    // The policy decides which scope each method needs: reads read:contacts, writes write:contacts.
    const policy = JSON.parse(
      await readFile(join(SERVICE_DIR, '../policies/contacts-policy.json'), 'utf8'),
    ) as {
      routes: { method: string; path: string; scopes: string[] }[];
    };
    for (const method of METHODS) {
      const props = resources[method.id]?.Properties as { HttpMethod: string; ResourceId: { Ref: string } };
      const path = props.ResourceId.Ref === 'ApiGatewayResourceContacts' ? '/contacts' : '/contacts/{id}';
      const route = policy.routes.find((r) => r.method === props.HttpMethod && r.path === path);
      expect(route?.scopes, method.id).toEqual([method.scope]);
    }
  });

  it('gives each function its own role allowing only its DynamoDB actions on its own table', () => {
    for (const [name, expected] of Object.entries(TABLE_ACTIONS)) {
      expect(fn(name).Role, name).toEqual({ 'Fn::GetAtt': [`${name}IamRoleLambdaExecution`, 'Arn'] });
      const statements = resources[`${name}IamRoleLambdaExecution`]?.Properties.Policies?.flatMap(
        (p) => p.PolicyDocument.Statement,
      );
      const dynamo = (statements ?? []).filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')));
      expect(dynamo.flatMap((s) => s.Action).sort(), name).toEqual(expected.actions);
      const arn = { 'Fn::GetAtt': [expected.table, 'Arn'] };
      for (const statement of dynamo) {
        expect(statement.Effect).toBe('Allow');
        // The table itself, and for the server (which queries its GSIs) the table's indexes.
        const allowed = [arn, [arn], [arn, { 'Fn::Join': ['/', [arn, 'index', '*']] }]];
        expect(allowed, name).toContainEqual(statement.Resource);
      }
      for (const statement of statements ?? []) {
        expect(
          statement.Action.every((a) => a.startsWith('dynamodb:') || a.startsWith('logs:')),
          name,
        ).toBe(true);
      }
    }
  });

  it('runs the authorization server behind the HTTP API on the DynamoDB store, secrets resolved by CloudFormation', () => {
    const env = (fn('AuthorizationServer').Environment as { Variables: Json }).Variables;
    expect(env).toMatchObject({
      GATEHOUSE_STORE: 'dynamodb',
      GATEHOUSE_DYNAMODB_TABLE: { Ref: 'GatehouseTable' },
    });
    for (const secret of ['GATEHOUSE_KEK', 'GATEHOUSE_ADMIN_CLIENT_ID', 'GATEHOUSE_ADMIN_CLIENT_SECRET']) {
      expect(env[secret], secret).toMatch(
        /^\{\{resolve:secretsmanager:gatehouse\/dev\/server:SecretString:[a-z_]+\}\}$/,
      );
    }
    const route = Object.values(resources).find((r) => r.Type === 'AWS::ApiGatewayV2::Route');
    expect(route?.Properties.RouteKey).toBe('$default');
    const integration = resources.HttpApiIntegrationAuthorizationServer?.Properties as Json;
    expect(integration.PayloadFormatVersion).toBe('2.0');
    expect(fn('AuthorizationServer').VpcConfig).toBeUndefined();
    const api = resources.ApiGatewayRestApi?.Properties as Json;
    expect(api.EndpointConfiguration).toEqual({ Types: ['REGIONAL'] });
  });

  it('uses no KMS and no VPC unless asked: the conditional policies and endpoints stay out', () => {
    expect(kmsStatements(pkg)).toEqual([]);
    for (const condition of ['UseKmsKek', 'UseKmsSigning', 'HasKmsPublishedKeys', 'ServerInVpc']) {
      expect(holds(pkg.conditions[condition]), condition).toBe(false);
    }
    const env = (fn('AuthorizationServer').Environment as { Variables: Json }).Variables;
    expect(env).toMatchObject({ GATEHOUSE_SIGNING: 'local', GATEHOUSE_KMS_SIGNING_KEYS: '' });
  });

  it('declares both tables as their code designs them', () => {
    const contacts = resources.ContactsTable?.Properties as Json;
    expect(contacts.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(contacts.BillingMode).toBe('PAY_PER_REQUEST');
    const store = resources.GatehouseTable?.Properties as Json & { GlobalSecondaryIndexes: Json[] };
    expect(store.KeySchema).toEqual([
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ]);
    expect(
      store.GlobalSecondaryIndexes.map((i) => [i.IndexName, (i.Projection as Json).ProjectionType]),
    ).toEqual([
      ['GSI1', 'KEYS_ONLY'],
      ['GSI2', 'KEYS_ONLY'],
    ]);
    expect(store.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    for (const table of ['ContactsTable', 'GatehouseTable']) {
      expect((resources[table] as unknown as Json).DeletionPolicy).toBe('Retain');
    }
  });

  it('bundles each handler alone, with no native add-on and no secret', async () => {
    const authorizer = await stat(join(out, 'contactsAuthorizer.zip'));
    expect(authorizer.size).toBeLessThan(200_000);
    for (const name of ['contactsList', 'contactsAuthorizer', 'authorizationServer']) {
      const entries = await listZipEntries(join(out, `${name}.zip`));
      expect(
        entries.filter((e) => e.endsWith('.mjs')),
        name,
      ).toHaveLength(1);
      expect(
        entries.filter((e) => e.endsWith('.node') || e.includes('node_modules/')),
        name,
      ).toEqual([]);
    }
    const template = await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8');
    expect(template).not.toMatch(/"GATEHOUSE_KEK":"[A-Za-z0-9_-]{43}"/);
  });
});

describe('the kms stage: every key in AWS KMS', () => {
  let pkg: Packaged;
  const KEK_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555';
  const SIGNING_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/66666666-7777-8888-9999-000000000000';
  const PUBLISHED_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

  beforeAll(async () => {
    pkg = await packageStage('kms');
  }, 120_000);
  afterAll(async () => {
    await pkg?.remove();
  });

  it('configures the wrapped KEK and the KMS signing keys, and no key-encryption key itself', () => {
    const server = pkg.resources.AuthorizationServerLambdaFunction as Resource;
    const env = (server.Properties.Environment as { Variables: Json }).Variables;
    expect(env).toMatchObject({
      GATEHOUSE_KEK: '',
      GATEHOUSE_KMS_KEY_ID: KEK_KEY,
      GATEHOUSE_SIGNING: 'kms',
      GATEHOUSE_KMS_SIGNING_KEYS: SIGNING_KEY,
      GATEHOUSE_KMS_PUBLISHED_KEYS: PUBLISHED_KEY,
    });
    expect(env.GATEHOUSE_KEK_WRAPPED).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it('allows the server only kms:Decrypt on the KEK key (with its context), kms:Sign and GetPublicKey on the signing key, GetPublicKey on the published one', () => {
    const statements = kmsStatements(pkg);
    expect(statements).toHaveLength(3);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: KEK_KEY,
      Condition: { StringEquals: { 'kms:EncryptionContext:purpose': 'gatehouse-kek' } },
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['kms:Sign', 'kms:GetPublicKey'],
      Resource: { 'Fn::Split': [',', SIGNING_KEY] },
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['kms:GetPublicKey'],
      Resource: { 'Fn::Split': [',', PUBLISHED_KEY] },
    });
    // No wildcard key, no other KMS action anywhere in the stack.
    const all = JSON.stringify(pkg.resources);
    expect(all.match(/"kms:[A-Za-z*]+"/g)?.sort()).toEqual(
      ['"kms:Decrypt"', '"kms:GetPublicKey"', '"kms:GetPublicKey"', '"kms:Sign"'].sort(),
    );
    expect(all).not.toContain('key/*');
  });
});

describe('the private stage', () => {
  let pkg: Packaged;
  beforeAll(async () => {
    pkg = await packageStage('private');
  }, 120_000);
  afterAll(async () => {
    await pkg?.remove();
  });

  it('makes the contacts API a PRIVATE endpoint reachable only through its VPC endpoints', () => {
    const api = pkg.resources.ApiGatewayRestApi?.Properties as Json & {
      Policy: { Statement: Json[] };
    };
    expect(api.EndpointConfiguration).toEqual({
      Types: ['PRIVATE'],
      VpcEndpointIds: ['vpce-0123456789abcdef0'],
    });
    expect(api.Policy.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Condition: { StringNotEquals: { 'aws:SourceVpce': ['vpce-0123456789abcdef0'] } },
      }),
    );
  });

  it('runs the authorization server in private subnets with HTTPS egress only, reaching DynamoDB and KMS through VPC endpoints', () => {
    const { resources, conditions } = pkg;
    expect(holds(conditions.ServerInVpc)).toBe(true);
    const server = resources.AuthorizationServerLambdaFunction?.Properties as Json;
    expect(server.VpcConfig).toEqual({
      SecurityGroupIds: [{ Ref: 'ServerSecurityGroup' }],
      SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    });
    expect(resources.ServerSecurityGroup?.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
    expect(resources.DynamoDbVpcEndpoint?.Properties).toMatchObject({
      VpcEndpointType: 'Gateway',
      VpcId: 'vpc-0123456789abcdef0',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      ServiceName: { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.dynamodb' },
      RouteTableIds: ['rtb-0123456789abcdef0'],
    });
    expect(resources.KmsVpcEndpoint?.Properties).toMatchObject({
      VpcEndpointType: 'Interface',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      ServiceName: { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.kms' },
      SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      SecurityGroupIds: [{ Ref: 'KmsEndpointSecurityGroup' }],
      PrivateDnsEnabled: true,
    });
    // Only the server's security group may reach the KMS endpoint.
    expect(resources.KmsEndpointSecurityGroup?.Properties.SecurityGroupIngress).toEqual([
      {
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        SourceSecurityGroupId: { Ref: 'ServerSecurityGroup' },
      },
    ]);
    // The contacts functions stay outside the VPC; the server's role gains the VPC network-interface policy only.
    expect((resources.ContactsListLambdaFunction as Resource).Properties.VpcConfig).toBeUndefined();
    expect(
      JSON.stringify(resources.AuthorizationServerIamRoleLambdaExecution?.Properties.ManagedPolicyArns),
    ).toContain('AWSLambdaVPCAccessExecutionRole');
  });
});

describe('the serverless system on serverless-offline and DynamoDB Local', () => {
  let stack: OfflineStack;
  const admin = { clientId: 'offline-admin', clientSecret: randomBytes(32).toString('base64url') };

  beforeAll(async () => {
    stack = await startOfflineStack({
      httpPort: await freePort(),
      lambdaPort: await freePort(),
      admin,
      esbuildWorkFolder: `.esbuild-test-${randomBytes(4).toString('hex')}`,
    });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('tells the original story over HTTP: tokens from the server Lambda, contacts behind the authorizer', async () => {
    const access = { baseUrl: stack.authorizationServerUrl, issuer: stack.issuer, admin };
    const story = await provisionStory(access, 'https://contacts.gatehouse.local/');
    const outcome = await runContactsStory(access, story, stack.contactsUrl);
    expect(outcome.readCreates.status, stack.output()).toBe(403);
    expect(outcome.writeCreates.status).toBe(201);
    const created = JSON.parse(outcome.writeCreates.body) as { id: string; name: string };
    expect(created.name).toBe('Ada');
    expect(outcome.readLists.status).toBe(200);
    expect(
      (JSON.parse(outcome.readLists.body) as { items: { id: string }[] }).items.map((i) => i.id),
    ).toContain(created.id);
    expect(outcome.noToken.status).toBe(401);
    expect(outcome.expiredToken.status).toBe(401);
  }, 90_000);

  it('refuses a forged token at the authorizer', async () => {
    const forged = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`;
    const res = await fetch(`${stack.contactsUrl}/contacts`, {
      headers: { authorization: `Bearer ${forged}` },
    });
    expect(res.status).toBe(401);
  });

  it('passes the verification of docs/deploy (deploy/verify-contacts.sh)', async () => {
    const result = await runVerifyScript({
      AS: stack.authorizationServerUrl,
      ISSUER: stack.issuer,
      CONTACTS: stack.contactsUrl,
      GATEHOUSE_ADMIN_CLIENT_ID: admin.clientId,
      GATEHOUSE_ADMIN_CLIENT_SECRET: admin.clientSecret,
    });
    expect(result.code, result.output).toBe(0);
  }, 60_000);

  it('never prints the admin secret', () => {
    expect(stack.output()).not.toContain(admin.clientSecret);
  });
});
