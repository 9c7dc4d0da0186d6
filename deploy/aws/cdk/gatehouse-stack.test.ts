/**
 * The CDK app, synthesized (handlers really bundled with esbuild, as `cdk synth` does) and its
 * CloudFormation template asserted with aws-cdk-lib/assertions: the same system as serverless.yml.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTACTS_OPERATIONS, GatehouseStack, SERVER_TABLE_ACTIONS } from './gatehouse-stack.ts';

type Json = Record<string, unknown>;

let outdir: string;
let template: Template;

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'gatehouse-cdk-'));
  const app = new App({ outdir });
  const stack = new GatehouseStack(app, 'gatehouse-test', { stage: 'test', env: { region: 'eu-west-1' } });
  template = Template.fromStack(stack);
}, 120_000);

afterAll(async () => {
  if (outdir) await rm(outdir, { recursive: true, force: true });
});

/** The logical id of the resource of `type` whose properties match. */
function logicalId(type: string, props: Json): string {
  const found = Object.keys(template.findResources(type, { Properties: props }));
  expect(found, `${type} ${JSON.stringify(props)}`).toHaveLength(1);
  return found[0] as string;
}

/** The actions of every statement in the policies attached to the role of `functionId`. */
function roleStatements(functionId: string): { Action: string | string[]; Resource: unknown }[] {
  const fn = template.findResources('AWS::Lambda::Function')[functionId] as {
    Properties: { Role: { 'Fn::GetAtt': string[] } };
  };
  const role = fn.Properties.Role['Fn::GetAtt'][0];
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } });
  return Object.values(policies).flatMap(
    (p) =>
      (
        p as {
          Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } };
        }
      ).Properties.PolicyDocument.Statement,
  );
}

const functionWithHandler = (handler: string) => logicalId('AWS::Lambda::Function', { Handler: handler });

describe('the CDK app', () => {
  it('makes one arm64 nodejs22.x Lambda per contacts operation, the authorizer and the server, each with its own role', () => {
    template.resourceCountIs('AWS::Lambda::Function', CONTACTS_OPERATIONS.length + 2);
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as {
      Properties: Json;
    }[];
    for (const f of functions)
      expect(f.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    const roles = new Set(functions.map((f) => JSON.stringify(f.Properties.Role)));
    expect(roles.size).toBe(functions.length);
  });

  it('bundles each handler with esbuild into its own asset', async () => {
    const assets = (await readdir(outdir)).filter((d) => d.startsWith('asset.'));
    const files = (await Promise.all(assets.map((a) => readdir(join(outdir, a))))).flat();
    for (const name of [
      'authorization-server',
      'contacts-authorizer',
      ...CONTACTS_OPERATIONS.map((o) => `contacts-${o.name}`),
    ]) {
      expect(files).toContain(`${name}.mjs`);
    }
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as {
      Properties: { Code: { S3Key: unknown } };
    }[];
    const code = new Set(functions.map((f) => JSON.stringify(f.Properties.Code.S3Key)));
    expect(code.size).toBe(functions.length);
  });

  it('puts every contacts method behind the TOKEN authorizer, answered afresh on every request', () => {
    const authorizerFn = functionWithHandler('contacts-authorizer.handler');
    const authorizer = logicalId('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 0,
    });
    expect(JSON.stringify(template.findResources('AWS::ApiGateway::Authorizer')[authorizer])).toContain(
      authorizerFn,
    );
    for (const operation of CONTACTS_OPERATIONS) {
      const handler = functionWithHandler(`contacts-${operation.name}.handler`);
      const methods = template.findResources('AWS::ApiGateway::Method', {
        Properties: {
          HttpMethod: operation.method,
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { Ref: authorizer },
        },
      });
      expect(
        Object.values(methods).filter((m) => JSON.stringify(m).includes(handler)),
        operation.name,
      ).toHaveLength(1);
    }
    template.resourceCountIs('AWS::ApiGateway::Method', CONTACTS_OPERATIONS.length);
  });

  it('configures the authorizer with the issuer and the audience only', () => {
    const fn = template.findResources('AWS::Lambda::Function')[
      functionWithHandler('contacts-authorizer.handler')
    ] as {
      Properties: { Environment: { Variables: Json } };
    };
    expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual([
      'AUTHORIZER_AUDIENCE',
      'GATEHOUSE_ISSUER',
      'NODE_OPTIONS',
    ]);
    expect(roleStatements(functionWithHandler('contacts-authorizer.handler'))).toEqual([]);
  });

  it('allows each contacts function only its DynamoDB actions, on the contacts table only', () => {
    const table = logicalId('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    });
    for (const operation of CONTACTS_OPERATIONS) {
      const statements = roleStatements(functionWithHandler(`contacts-${operation.name}.handler`));
      expect(statements.flatMap((s) => s.Action).sort(), operation.name).toEqual(
        [...operation.actions].sort(),
      );
      for (const s of statements) expect(s.Resource).toEqual({ 'Fn::GetAtt': [table, 'Arn'] });
    }
  });

  it('runs the authorization server behind the HTTP API on its table, secrets resolved by CloudFormation', () => {
    const server = functionWithHandler('authorization-server.handler');
    const table = logicalId('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ],
    });
    const [statement] = roleStatements(server);
    expect([statement?.Action].flat().sort()).toEqual([...SERVER_TABLE_ACTIONS].sort());
    expect(JSON.stringify(statement?.Resource)).toBe(
      JSON.stringify([
        { 'Fn::GetAtt': [table, 'Arn'] },
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': [table, 'Arn'] }, '/index/*']] },
      ]),
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'authorization-server.handler',
      Environment: {
        Variables: Match.objectLike({
          GATEHOUSE_STORE: 'dynamodb',
          GATEHOUSE_DYNAMODB_TABLE: { Ref: table },
          GATEHOUSE_KEK: '{{resolve:secretsmanager:gatehouse/test/server:SecretString:kek::}}',
          GATEHOUSE_ADMIN_CLIENT_SECRET:
            '{{resolve:secretsmanager:gatehouse/test/server:SecretString:admin_client_secret::}}',
        }),
      },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { PayloadFormatVersion: '2.0' });
  });

  it('declares both tables as their code designs them, kept when the stack goes', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        GlobalSecondaryIndexes: [
          Match.objectLike({ IndexName: 'GSI1', Projection: { ProjectionType: 'KEYS_ONLY' } }),
          Match.objectLike({ IndexName: 'GSI2', Projection: { ProjectionType: 'KEYS_ONLY' } }),
        ],
      }),
    });
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }),
    });
  });

  it('answers API Gateway refusals with an RFC 6750 challenge', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      ResponseParameters: { 'gatewayresponse.header.WWW-Authenticate': "'Bearer'" },
    });
  });
});

describe('a private contacts API', () => {
  const synth = (props: { vpcEndpointIds?: string[] }) => {
    const app = new App();
    return Template.fromStack(
      new GatehouseStack(app, 'gatehouse-private', {
        stage: 'test',
        endpointType: 'PRIVATE',
        bundle: false,
        ...props,
      }),
    );
  };

  it('answers only through the given VPC interface endpoints', () => {
    const t = synth({ vpcEndpointIds: ['vpce-0123456789abcdef0'] });
    t.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['PRIVATE'], VpcEndpointIds: ['vpce-0123456789abcdef0'] },
      Policy: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { StringNotEquals: { 'aws:SourceVpce': ['vpce-0123456789abcdef0'] } },
          }),
        ]),
      }),
    });
  });

  it('refuses to be made without an endpoint to reach it', () => {
    expect(() => synth({})).toThrow(/needs vpcEndpointIds/);
  });
});

describe('a KMS-protected key-encryption key', () => {
  const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const t = Template.fromStack(
    new GatehouseStack(new App(), 'gatehouse-kms', {
      stage: 'test',
      bundle: false,
      kms: { keyArn, wrappedKek: 'AQIDBAUG' },
    }),
  );

  it('configures only the KMS key and the wrapped key, never the key itself', () => {
    const [server] = Object.values(
      t.findResources('AWS::Lambda::Function', {
        Properties: { Description: Match.stringLikeRegexp('authorization server') },
      }),
    ) as { Properties: { Environment: { Variables: Json } } }[];
    const env = server?.Properties.Environment.Variables ?? {};
    expect(env).toMatchObject({ GATEHOUSE_KMS_KEY_ID: keyArn, GATEHOUSE_KEK_WRAPPED: 'AQIDBAUG' });
    expect(env.GATEHOUSE_KEK).toBeUndefined();
  });

  it('lets the server only Decrypt, with that key and the gatehouse encryption context', () => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'kms:Decrypt',
            Effect: 'Allow',
            Resource: keyArn,
            Condition: { StringEquals: { 'kms:EncryptionContext:purpose': 'gatehouse-kek' } },
          },
        ]),
      },
    });
  });
});
