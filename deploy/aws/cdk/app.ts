/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy` from deploy/aws/cdk (cdk.json runs this file).
 * Context: `-c stage=dev` (default dev), `-c issuer=https://auth.example.com/`,
 * `-c endpointType=PRIVATE -c vpcEndpointIds=vpce-1,vpce-2`, `-c authorizerTtl=0`,
 * `-c authorizerJwks="$(npx gatehouse-authorizer jwks --issuer <issuer>)"` (keys preloaded into the authorizer),
 * `-c kmsKeyArn=arn:aws:kms:... -c wrappedKek=<base64>` (the key-encryption key protected by KMS),
 * `-c kmsSigningKeys=<arn>[,<arn>] [-c kmsPublishedKeys=<arn>,...]` (sign with KMS asymmetric keys),
 * `-c serverVpc=isolated` (the server in a new VPC of isolated subnets, with DynamoDB and KMS endpoints).
 */
import { App } from 'aws-cdk-lib';
import { GatehouseStack } from './gatehouse-stack.ts';

const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
};
const stage = context('stage') ?? 'dev';
const endpointType = context('endpointType');
if (endpointType !== undefined && endpointType !== 'REGIONAL' && endpointType !== 'PRIVATE') {
  throw new Error('context endpointType must be REGIONAL or PRIVATE');
}
new GatehouseStack(app, `gatehouse-${stage}`, {
  stage,
  issuer: context('issuer'),
  contactsAudience: context('contactsAudience'),
  authorizerTtlSeconds: Number(context('authorizerTtl') ?? 0),
  authorizerJwks: context('authorizerJwks'),
  endpointType,
  vpcEndpointIds: context('vpcEndpointIds')?.split(','),
  kms: kmsOption(context('kmsKeyArn'), context('wrappedKek')),
  kmsSigning: kmsSigningOption(context('kmsSigningKeys'), context('kmsPublishedKeys')),
  serverVpc: serverVpcOption(context('serverVpc')),
});
app.synth();

function kmsOption(keyArn: string | undefined, wrappedKek: string | undefined) {
  if (keyArn === undefined && wrappedKek === undefined) return undefined;
  if (keyArn === undefined || wrappedKek === undefined)
    throw new Error('context kmsKeyArn and wrappedKek go together');
  return { keyArn, wrappedKek };
}

function kmsSigningOption(signing: string | undefined, published: string | undefined) {
  if (signing === undefined) {
    if (published !== undefined) throw new Error('context kmsPublishedKeys needs kmsSigningKeys');
    return undefined;
  }
  return { signingKeyArns: signing.split(','), publishedKeyArns: published?.split(',') ?? [] };
}

function serverVpcOption(value: string | undefined): 'isolated' | undefined {
  if (value === undefined) return undefined;
  if (value !== 'isolated')
    throw new Error('context serverVpc must be isolated (an existing VPC: use GatehouseStack in code)');
  return value;
}
