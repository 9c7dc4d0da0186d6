/** An API Gateway method (or route) ARN, split into what a policy needs. */
export interface MethodArn {
  /** `arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>` */
  readonly base: string;
  readonly method: string;
  /** The request path, starting with `/`. */
  readonly path: string;
}

const PREFIX = /^arn:aws[a-z-]*:execute-api:[a-z0-9-]+:\d{12}:/;

/**
 * Parses `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{method}/{path}` as API Gateway
 * sends it in `methodArn` (REST) and `routeArn` (HTTP API); null when it is not one.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/arn-format-reference.html
 */
export function parseMethodArn(arn: unknown): MethodArn | null {
  if (typeof arn !== 'string') return null;
  const prefix = PREFIX.exec(arn);
  if (!prefix) return null;
  const rest = arn.slice(prefix[0].length);
  const apiEnd = rest.indexOf('/');
  const stageEnd = rest.indexOf('/', apiEnd + 1);
  const methodEnd = rest.indexOf('/', stageEnd + 1);
  if (apiEnd <= 0 || stageEnd <= apiEnd + 1 || methodEnd <= stageEnd + 1) return null;
  return {
    base: arn.slice(0, prefix[0].length + stageEnd),
    method: rest.slice(stageEnd + 1, methodEnd),
    path: rest.slice(methodEnd),
  };
}
