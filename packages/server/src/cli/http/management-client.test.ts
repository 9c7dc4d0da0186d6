import { describe, expect, it } from 'vitest';
import { createManagementAudience, describeApiError } from './management-client.ts';

describe('describeApiError', () => {
  it("shows status, reason, the server's message and its errorCode", () => {
    const error = describeApiError(409, 'Conflict', {
      statusCode: 409,
      error: 'Conflict',
      message: 'The API has client grants; delete them first or pass force',
      errorCode: 'resource_server_has_grants',
    });
    expect(error.message).toBe(
      '409 Conflict: The API has client grants; delete them first or pass force [resource_server_has_grants]',
    );
    expect(error.status).toBe(409);
    expect(error.errorCode).toBe('resource_server_has_grants');
  });

  it('falls back to the HTTP status text when the body is not Auth0-shaped', () => {
    expect(describeApiError(502, 'Bad Gateway', undefined).message).toBe('502 Bad Gateway');
  });
});

describe('createManagementAudience', () => {
  it('is the issuer followed by api/v2/', () => {
    expect(createManagementAudience('http://localhost:4000/')).toBe('http://localhost:4000/api/v2/');
  });
});
