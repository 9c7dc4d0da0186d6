/**
 * The serverless gatehouse system as an AWS CDK stack, the same system as deploy/aws/serverless.yml:
 * the contacts API (REST API, one Lambda per operation, each method behind the gatehouse TOKEN
 * Lambda authorizer, the contacts table, one least-privilege role per function) and the
 * authorization server (one Lambda behind an HTTP API, on the gatehouse table, its key-encryption
 * key and admin credential resolved from Secrets Manager by CloudFormation). The REST API can be
 * private (reachable only through given VPC interface endpoints).
 * @see https://docs.aws.amazon.com/cdk/v2/guide/home.html
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  AssetHashType,
  CfnOutput,
  DockerImage,
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { KMS_KEK_ENCRYPTION_CONTEXT } from '../../../packages/server/src/keys/kms-kek.ts';

const HANDLERS_DIR = fileURLToPath(new URL('../handlers', import.meta.url));
const BUNDLER = fileURLToPath(new URL('../bundle-handler.mjs', import.meta.url));

/** Settings of the stack. */
export interface GatehouseStackProps extends StackProps {
  /** Names the Secrets Manager secret `gatehouse/<stage>/server` (keys `kek`, `admin_client_id`, `admin_client_secret`). */
  readonly stage: string;
  /** The issuer when a custom domain fronts the server; default the HTTP API's own URL. */
  readonly issuer?: string;
  readonly contactsAudience?: string;
  /** API Gateway's authorizer cache per token, in seconds (default 0: ask on every request). */
  readonly authorizerTtlSeconds?: number;
  /**
   * The issuer's JWKS (JSON, `{"keys": [...]}`) preloaded into the authorizer (`AUTHORIZER_JWKS`), so
   * a cold start verifies with no fetch; the JWKS is still refreshed after the first answer. Known
   * only once the server runs: after a first deploy, `npx gatehouse-authorizer jwks --issuer <issuer>`.
   */
  readonly authorizerJwks?: string;
  /** `PRIVATE`: the contacts REST API answers only through these VPC interface endpoints. */
  readonly endpointType?: 'REGIONAL' | 'PRIVATE';
  readonly vpcEndpointIds?: readonly string[];
  /**
   * Protect the key-encryption key with AWS KMS instead of keeping it in Secrets Manager: the KMS
   * key, and the KEK it wrapped (base64 CiphertextBlob of `aws kms generate-data-key-without-plaintext
   * --key-spec AES_256 --encryption-context purpose=gatehouse-kek`). The server may only Decrypt, with that context.
   */
  readonly kms?: { readonly keyArn: string; readonly wrappedKek: string };
  /**
   * Sign tokens with AWS KMS asymmetric keys (`GATEHOUSE_SIGNING=kms`): the private keys never
   * leave KMS. `signingKeyArns`: the keys that sign, one per algorithm (RSA: RS256, ECC_NIST_P256:
   * ES256; an RSA key is required for the Management API); `publishedKeyArns`: keys only published
   * (the next key before it signs, a retired one until its tokens expire). The server may
   * kms:Sign and kms:GetPublicKey on the first, kms:GetPublicKey on the second, nothing else.
   */
  readonly kmsSigning?: {
    readonly signingKeyArns: readonly string[];
    readonly publishedKeyArns?: readonly string[];
  };
  /**
   * Run the authorization server in a VPC with no public egress, reaching DynamoDB through a
   * gateway endpoint and KMS through an interface endpoint: `'isolated'` makes a VPC of isolated
   * subnets only (no internet or NAT gateway exists at all); or name an existing VPC's isolated
   * subnets (their route tables get the DynamoDB endpoint).
   */
  readonly serverVpc?: 'isolated' | ExistingServerVpc;
  /** Bundle the handlers with esbuild (default true); false uses placeholder code, for quick template tests. */
  readonly bundle?: boolean;
}

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

/** An existing VPC for the authorization server: subnets without a route to a NAT or internet gateway. */
export interface ExistingServerVpc {
  readonly vpcId: string;
  readonly availabilityZones: readonly string[];
  /** One per availability zone, in the same order. */
  readonly subnetIds: readonly string[];
  readonly routeTableIds: readonly string[];
}

/** The DynamoDB actions each contacts operation makes (see services/contacts/src/store/dynamodb-contact-store.ts). */
export const CONTACTS_OPERATIONS = [
  { name: 'list', method: 'GET', path: 'contacts', actions: ['dynamodb:Scan'] },
  { name: 'get', method: 'GET', path: 'contacts/{id}', actions: ['dynamodb:GetItem'] },
  { name: 'create', method: 'POST', path: 'contacts', actions: ['dynamodb:PutItem'] },
  {
    name: 'update',
    method: 'PUT',
    path: 'contacts/{id}',
    actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
  },
  {
    name: 'delete',
    method: 'DELETE',
    path: 'contacts/{id}',
    actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem'],
  },
] as const;

/** What the authorization server does on its table; TransactWriteItems needs its items' actions only. */
export const SERVER_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:DescribeTable',
];

/** The gatehouse serverless system. */
export class GatehouseStack extends Stack {
  readonly contactsApi: apigateway.RestApi;
  readonly httpApi: apigatewayv2.HttpApi;

  constructor(scope: Construct, id: string, props: GatehouseStackProps) {
    super(scope, id, props);
    const code = (name: string): lambda.Code =>
      props.bundle === false
        ? lambda.Code.fromInline(
            `export const handler = async () => { throw new Error('placeholder for ${name}'); };`,
          )
        : bundledHandler(name);
    const fn = (name: string, handlerFile: string, options: Partial<lambda.FunctionProps> = {}) =>
      new lambda.Function(this, name, {
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        code: code(handlerFile),
        handler: props.bundle === false ? 'index.handler' : `${handlerFile}.handler`,
        memorySize: 256,
        timeout: Duration.seconds(10),
        logGroup: new logs.LogGroup(this, `${name}Logs`, {
          retention: logs.RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        ...options,
        environment: { NODE_OPTIONS: '--enable-source-maps', ...options.environment },
      });

    // Design: services/contacts/src/store/dynamodb-table.ts
    const contactsTable = new dynamodb.Table(this, 'ContactsTable', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Design: packages/server/src/store/dynamodb-table.ts
    const gatehouseTable = new dynamodb.Table(this, 'GatehouseTable', {
      partitionKey: { name: 'PK', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'SK', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of ['GSI1', 'GSI2']) {
      gatehouseTable.addGlobalSecondaryIndex({
        indexName: index,
        partitionKey: { name: `${index}PK`, type: dynamodb.AttributeType.STRING },
        sortKey: { name: `${index}SK`, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.KEYS_ONLY,
      });
    }

    this.httpApi = new apigatewayv2.HttpApi(this, 'AuthorizationServerApi', {
      description: 'gatehouse authorization server',
    });
    const issuer = props.issuer ?? `${this.httpApi.apiEndpoint}/`;
    const contactsAudience = props.contactsAudience ?? 'https://contacts.gatehouse.local/';
    const secret = (field: string) =>
      SecretValue.secretsManager(`gatehouse/${props.stage}/server`, { jsonField: field }).unsafeUnwrap();

    if (props.kmsSigning && props.kmsSigning.signingKeyArns.length === 0) {
      throw new Error('kmsSigning needs signingKeyArns: the KMS keys that sign (an RSA key at least)');
    }
    for (const arn of [
      ...(props.kmsSigning?.signingKeyArns ?? []),
      ...(props.kmsSigning?.publishedKeyArns ?? []),
    ]) {
      // IAM grants name keys by key ARN; an alias would leave the grant matching nothing.
      if (!KMS_KEY_ARN.test(arn))
        throw new Error(`kmsSigning: ${arn} is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)`);
    }
    const network = props.serverVpc ? addIsolatedNetwork(this, props.serverVpc) : undefined;
    const server = fn('AuthorizationServer', 'authorization-server', {
      description: 'gatehouse authorization server (tokens, JWKS, discovery, Management API)',
      memorySize: 1024,
      timeout: Duration.seconds(15),
      ...(network
        ? { vpc: network.vpc, vpcSubnets: network.subnets, securityGroups: [network.securityGroup] }
        : {}),
      environment: {
        GATEHOUSE_ISSUER: issuer,
        GATEHOUSE_STORE: 'dynamodb',
        GATEHOUSE_DYNAMODB_TABLE: gatehouseTable.tableName,
        // Resolved by CloudFormation at deploy time: in neither the app nor the template. With KMS,
        // only the wrapped key is configured, and KMS unwraps it at each cold start.
        ...(props.kms
          ? { GATEHOUSE_KMS_KEY_ID: props.kms.keyArn, GATEHOUSE_KEK_WRAPPED: props.kms.wrappedKek }
          : { GATEHOUSE_KEK: secret('kek') }),
        ...(props.kmsSigning
          ? {
              GATEHOUSE_SIGNING: 'kms',
              GATEHOUSE_KMS_SIGNING_KEYS: props.kmsSigning.signingKeyArns.join(','),
              ...(props.kmsSigning.publishedKeyArns?.length
                ? { GATEHOUSE_KMS_PUBLISHED_KEYS: props.kmsSigning.publishedKeyArns.join(',') }
                : {}),
            }
          : {}),
        GATEHOUSE_ADMIN_CLIENT_ID: secret('admin_client_id'),
        GATEHOUSE_ADMIN_CLIENT_SECRET: secret('admin_client_secret'),
      },
    });
    server.addToRolePolicy(
      new iam.PolicyStatement({
        actions: SERVER_TABLE_ACTIONS,
        resources: [gatehouseTable.tableArn, `${gatehouseTable.tableArn}/index/*`],
      }),
    );
    if (props.kms) {
      server.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [props.kms.keyArn],
          conditions: {
            StringEquals: { 'kms:EncryptionContext:purpose': KMS_KEK_ENCRYPTION_CONTEXT.purpose },
          },
        }),
      );
    }
    if (props.kmsSigning) {
      server.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Sign', 'kms:GetPublicKey'],
          resources: [...props.kmsSigning.signingKeyArns],
        }),
      );
      if (props.kmsSigning.publishedKeyArns?.length) {
        server.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['kms:GetPublicKey'],
            resources: [...props.kmsSigning.publishedKeyArns],
          }),
        );
      }
    }
    // The `$default` route: every path and method goes to the server's own router.
    new apigatewayv2.HttpRoute(this, 'AuthorizationServerRoute', {
      httpApi: this.httpApi,
      routeKey: apigatewayv2.HttpRouteKey.DEFAULT,
      integration: new HttpLambdaIntegration('AuthorizationServerIntegration', server),
    });

    const authorizerFn = fn('ContactsAuthorizer', 'contacts-authorizer', {
      description: 'gatehouse TOKEN authorizer of the contacts API (issuer and audience only; public keys)',
      environment: {
        GATEHOUSE_ISSUER: issuer,
        AUTHORIZER_AUDIENCE: contactsAudience,
        ...(props.authorizerJwks ? { AUTHORIZER_JWKS: props.authorizerJwks } : {}),
      },
    });
    const authorizer = new apigateway.TokenAuthorizer(this, 'ContactsAuthorizerToken', {
      handler: authorizerFn,
      identitySource: apigateway.IdentitySource.header('Authorization'),
      resultsCacheTtl: Duration.seconds(props.authorizerTtlSeconds ?? 0),
    });

    const isPrivate = props.endpointType === 'PRIVATE';
    if (isPrivate && (props.vpcEndpointIds ?? []).length === 0) {
      throw new Error(
        'a PRIVATE contacts API needs vpcEndpointIds: the interface endpoints allowed to reach it',
      );
    }
    this.contactsApi = new apigateway.RestApi(this, 'ContactsApi', {
      description: 'gatehouse contacts API',
      deployOptions: { stageName: props.stage },
      endpointConfiguration: isPrivate
        ? {
            types: [apigateway.EndpointType.PRIVATE],
            vpcEndpoints: (props.vpcEndpointIds ?? []).map((vpcEndpointId, i) =>
              ec2.InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(
                this,
                `ContactsApiVpcEndpoint${i}`,
                {
                  vpcEndpointId,
                  port: 443,
                },
              ),
            ),
          }
        : { types: [apigateway.EndpointType.REGIONAL] },
      ...(isPrivate ? { policy: privateApiPolicy(props.vpcEndpointIds ?? []) } : {}),
    });
    this.contactsApi.addGatewayResponse('Unauthorized', {
      type: apigateway.ResponseType.UNAUTHORIZED,
      statusCode: '401',
      responseHeaders: { 'WWW-Authenticate': "'Bearer'" },
    });
    this.contactsApi.addGatewayResponse('AccessDenied', {
      type: apigateway.ResponseType.ACCESS_DENIED,
      statusCode: '403',
      responseHeaders: { 'WWW-Authenticate': `'Bearer error="insufficient_scope"'` },
    });

    const contactsEnvironment = {
      CONTACTS_STORE: 'dynamodb',
      CONTACTS_TABLE: contactsTable.tableName,
      CONTACTS_AUDIENCE: contactsAudience,
    };
    for (const operation of CONTACTS_OPERATIONS) {
      const handler = fn(
        `Contacts${operation.name[0]?.toUpperCase()}${operation.name.slice(1)}`,
        `contacts-${operation.name}`,
        {
          description: `${operation.method} /${operation.path}`,
          environment: contactsEnvironment,
        },
      );
      handler.addToRolePolicy(
        new iam.PolicyStatement({ actions: [...operation.actions], resources: [contactsTable.tableArn] }),
      );
      const resource = this.contactsApi.root.resourceForPath(operation.path);
      resource.addMethod(operation.method, new apigateway.LambdaIntegration(handler), {
        authorizer,
        authorizationType: apigateway.AuthorizationType.CUSTOM,
      });
    }

    new CfnOutput(this, 'ContactsApiUrl', { value: this.contactsApi.url });
    new CfnOutput(this, 'AuthorizationServerUrl', { value: this.httpApi.apiEndpoint });
    new CfnOutput(this, 'Issuer', { value: issuer });
  }
}

/** The server's network without public egress: its subnets, security group and VPC endpoints. */
interface IsolatedNetwork {
  vpc: ec2.IVpc;
  subnets: ec2.SubnetSelection;
  securityGroup: ec2.SecurityGroup;
}

/** Adds what the server needs inside a VPC with no public egress. */
function addIsolatedNetwork(stack: Stack, option: 'isolated' | ExistingServerVpc): IsolatedNetwork {
  const vpc =
    option === 'isolated'
      ? new ec2.Vpc(stack, 'ServerVpc', {
          maxAzs: 2,
          natGateways: 0,
          // Isolated subnets only: no internet gateway, no NAT, no route out of the VPC.
          subnetConfiguration: [
            { name: 'server', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
          ],
        })
      : ec2.Vpc.fromVpcAttributes(stack, 'ServerVpc', {
          vpcId: option.vpcId,
          availabilityZones: [...option.availabilityZones],
          isolatedSubnetIds: [...option.subnetIds],
          isolatedSubnetRouteTableIds: [...option.routeTableIds],
        });
  const subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  const securityGroup = new ec2.SecurityGroup(stack, 'ServerSecurityGroup', {
    vpc,
    description: 'gatehouse authorization server (HTTPS to the VPC endpoints only)',
    allowAllOutbound: false,
  });
  securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to the VPC endpoints');
  vpc.addGatewayEndpoint('DynamoDbEndpoint', {
    service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
    subnets: [subnets],
  });
  const kmsEndpointGroup = new ec2.SecurityGroup(stack, 'KmsEndpointSecurityGroup', {
    vpc,
    description: 'gatehouse KMS interface endpoint (HTTPS from the authorization server only)',
    allowAllOutbound: false,
  });
  kmsEndpointGroup.addIngressRule(securityGroup, ec2.Port.tcp(443), 'the authorization server');
  vpc.addInterfaceEndpoint('KmsEndpoint', {
    service: ec2.InterfaceVpcEndpointAwsService.KMS,
    subnets,
    securityGroups: [kmsEndpointGroup],
    // kms.<region>.amazonaws.com, the SDK's default endpoint, resolves inside the VPC.
    privateDnsEnabled: true,
    open: false,
  });
  return { vpc, subnets, securityGroup };
}

/** A handler's code, bundled by bundle-handler.mjs with serverless.yml's esbuild settings. */
function bundledHandler(name: string): lambda.Code {
  return lambda.Code.fromAsset(HANDLERS_DIR, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Local bundling always succeeds here; the image is only CDK's required fallback. The command
      // names the handler: CDK keys its bundling cache on these options, and every handler shares
      // the same source directory, so without it all functions would get the first bundle.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-bookworm-slim'),
      command: ['node', 'bundle-handler.mjs', name, '/asset-output'],
      local: {
        tryBundle(outputDir) {
          execFileSync(process.execPath, [BUNDLER, name, outputDir], { stdio: 'inherit' });
          return true;
        },
      },
    },
  });
}

/** A private API's resource policy: invocations only through the given VPC endpoints. */
function privateApiPolicy(vpcEndpointIds: readonly string[]): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        effect: iam.Effect.ALLOW,
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
      }),
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
        conditions: { StringNotEquals: { 'aws:SourceVpce': [...vpcEndpointIds] } },
      }),
    ],
  });
}
