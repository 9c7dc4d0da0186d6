/**
 * Translates API Gateway REST API (v1) Lambda proxy events to `ApiRequest` and `ApiResponse` back
 * to proxy results.
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ApiRequest, ApiResponse } from '../api/api-request.ts';
import { PayloadTooLargeError } from '../problems/errors.ts';

/** The `ApiRequest` view of a proxy event. */
export function toApiRequest(event: APIGatewayProxyEvent): ApiRequest {
  // REST APIs pass headers as the client cased them; look them up case-insensitively.
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers.set(name.toLowerCase(), value);
  }
  const id = event.pathParameters?.id;
  return {
    method: event.httpMethod,
    // requestContext.path is what the client addressed (with the stage on execute-api domains).
    path: event.requestContext?.path ?? event.path,
    ...(id === undefined ? {} : { id }),
    query(name) {
      const many = event.multiValueQueryStringParameters?.[name];
      if (many) return many;
      const one = event.queryStringParameters?.[name];
      return one === undefined ? [] : [one];
    },
    header: (name) => headers.get(name),
    async body(maxBytes) {
      if (event.body === null || event.body === undefined) return null;
      const bytes = event.isBase64Encoded
        ? Buffer.from(event.body, 'base64')
        : Buffer.from(event.body, 'utf8');
      if (bytes.byteLength > maxBytes) throw new PayloadTooLargeError(maxBytes);
      return bytes;
    },
  };
}

/** The proxy result for an `ApiResponse`. */
export function toProxyResult(response: ApiResponse): APIGatewayProxyResult {
  return { statusCode: response.status, headers: response.headers, body: response.body ?? '' };
}
