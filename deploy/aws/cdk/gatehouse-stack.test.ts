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

describe('an authorizer with its keys preloaded', () => {
  it('gets the JWKS in AUTHORIZER_JWKS, beside the issuer and the audience', () => {
    const jwks = JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', kid: 'k1', x: 'x', y: 'y' }] });
    const t = Template.fromStack(
      new GatehouseStack(new App(), 'gatehouse-preloaded', {
        stage: 'test',
        bundle: false,
        authorizerJwks: jwks,
      }),
    );
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('TOKEN authorizer'),
      Environment: {
        Variables: Match.objectLike({ AUTHORIZER_JWKS: jwks, AUTHORIZER_AUDIENCE: Match.anyValue() }),
      },
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

describe('signing with AWS KMS asymmetric keys', () => {
  const signingKey = 'arn:aws:kms:eu-west-1:123456789012:key/66666666-7777-8888-9999-000000000000';
  const publishedKey = 'arn:aws:kms:eu-west-1:123456789012:key/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
  const synth = (kmsSigning: { signingKeyArns: string[]; publishedKeyArns?: string[] }) =>
    Template.fromStack(
      new GatehouseStack(new App(), 'gatehouse-kms-signing', { stage: 'test', bundle: false, kmsSigning }),
    );

  it('configures the server to sign with the KMS keys', () => {
    const t = synth({ signingKeyArns: [signingKey], publishedKeyArns: [publishedKey] });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          GATEHOUSE_SIGNING: 'kms',
          GATEHOUSE_KMS_SIGNING_KEYS: signingKey,
          GATEHOUSE_KMS_PUBLISHED_KEYS: publishedKey,
        }),
      },
    });
  });

  it('allows kms:Sign and GetPublicKey on the signing key only, GetPublicKey on the published key, and nothing else', () => {
    const t = synth({ signingKeyArns: [signingKey], publishedKeyArns: [publishedKey] });
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
      (p) =>
        (
          p as {
            Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } };
          }
        ).Properties.PolicyDocument.Statement,
    );
    const kms = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('kms:')));
    expect(kms).toEqual([
      expect.objectContaining({ Action: ['kms:Sign', 'kms:GetPublicKey'], Resource: signingKey }),
      expect.objectContaining({ Action: 'kms:GetPublicKey', Resource: publishedKey }),
    ]);
  });

  it('refuses an alias or an empty key list, which no IAM grant could name', () => {
    expect(() => synth({ signingKeyArns: ['alias/gatehouse-signing'] })).toThrow(/is not a KMS key ARN/);
    expect(() => synth({ signingKeyArns: [] })).toThrow(/needs signingKeyArns/);
  });
});

describe('the authorization server in a VPC with no public egress', () => {
  const t = Template.fromStack(
    new GatehouseStack(new App(), 'gatehouse-isolated', {
      stage: 'test',
      bundle: false,
      serverVpc: 'isolated',
      endpointType: 'PRIVATE',
      vpcEndpointIds: ['vpce-0123456789abcdef0'],
    }),
  );

  it('makes a VPC with isolated subnets only: no internet gateway, no NAT', () => {
    t.resourceCountIs('AWS::EC2::InternetGateway', 0);
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.resourceCountIs('AWS::EC2::Subnet', 2);
    for (const route of Object.values(t.findResources('AWS::EC2::Route'))) {
      expect(JSON.stringify(route)).not.toMatch(/GatewayId|NatGatewayId/);
    }
  });

  it('puts the server in those subnets with a security group that sends HTTPS only', () => {
    const server = functionWithHandlerIn(t, 'authorization server');
    expect(server.Properties.VpcConfig).toEqual({
      SecurityGroupIds: [{ 'Fn::GetAtt': [expect.stringMatching(/^ServerSecurityGroup/), 'GroupId'] }],
      SubnetIds: [
        expect.objectContaining({ Ref: expect.stringMatching(/^ServerVpcserverSubnet1/) }),
        expect.anything(),
      ],
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('authorization server'),
      SecurityGroupEgress: [Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })],
    });
  });

  it('reaches DynamoDB through a gateway endpoint and KMS through a private interface endpoint only the server may use', () => {
    const endpoints = Object.values(t.findResources('AWS::EC2::VPCEndpoint')) as { Properties: Json }[];
    const services = endpoints.map((e) => JSON.stringify(e.Properties.ServiceName));
    expect(services.some((s) => s.includes('.dynamodb'))).toBe(true);
    expect(services.some((s) => s.includes('.kms'))).toBe(true);
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.dynamodb'])]) }),
    });
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.kms'])]) }),
    });
    const ingress = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress')) as {
      Properties: Json;
    }[];
    expect(ingress).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          FromPort: 443,
          ToPort: 443,
          SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^ServerSecurityGroup/), 'GroupId'] },
        }),
      }),
    ]);
  });

  it('keeps the contacts API private to its VPC endpoint and the other functions outside the VPC', () => {
    t.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['PRIVATE'], VpcEndpointIds: ['vpce-0123456789abcdef0'] },
    });
    const inVpc = Object.values(t.findResources('AWS::Lambda::Function')).filter(
      (f) => (f as { Properties: Json }).Properties.VpcConfig !== undefined,
    );
    expect(inVpc).toHaveLength(1);
  });

  it('also runs in the isolated subnets of an existing VPC', () => {
    const existing = Template.fromStack(
      new GatehouseStack(new App(), 'gatehouse-existing-vpc', {
        stage: 'test',
        bundle: false,
        serverVpc: {
          vpcId: 'vpc-0123456789abcdef0',
          availabilityZones: ['eu-west-1a', 'eu-west-1b'],
          subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
          routeTableIds: ['rtb-0123456789abcdef0', 'rtb-0123456789abcdef1'],
        },
      }),
    );
    existing.resourceCountIs('AWS::EC2::VPC', 0);
    expect(functionWithHandlerIn(existing, 'authorization server').Properties.VpcConfig).toMatchObject({
      SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    });
    existing.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      RouteTableIds: ['rtb-0123456789abcdef0', 'rtb-0123456789abcdef1'],
    });
  });
});

/** The function whose description matches, in a template. */
function functionWithHandlerIn(t: Template, description: string): { Properties: Json } {
  const found = Object.values(
    t.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp(description) },
    }),
  ) as { Properties: Json }[];
  expect(found).toHaveLength(1);
  return found[0] as { Properties: Json };
}
