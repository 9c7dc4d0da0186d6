/**
 * Every administrative action the audit log records: its target type and its description, in the
 * manner of Auth0's log events (`sapi` "Create a client", "Rotate a client secret", ...), and the
 * federated client authentications at the OAuth endpoints (`seccft` / `feccft`).
 */

/** What kind of entity an action changes; a filter of `GET /api/v2/logs`. */
export type AuditTargetType =
  | 'resource_server'
  | 'client'
  | 'client_credential'
  | 'client_grant'
  | 'signing_key'
  | 'token'
  | 'console_session';

/** Every target type. */
export const AUDIT_TARGET_TYPES: readonly AuditTargetType[] = [
  'resource_server',
  'client',
  'client_credential',
  'client_grant',
  'signing_key',
  'token',
  'console_session',
];

/** The actions, each with its target type and description. */
export const AUDIT_ACTIONS = {
  'resource_server.created': { target: 'resource_server', description: 'Create a resource server' },
  'resource_server.updated': { target: 'resource_server', description: 'Update a resource server' },
  'resource_server.deleted': { target: 'resource_server', description: 'Delete a resource server' },
  'client.created': { target: 'client', description: 'Create a client' },
  'client.updated': { target: 'client', description: 'Update a client' },
  'client.deleted': { target: 'client', description: 'Delete a client' },
  'client.secret_rotated': { target: 'client', description: 'Rotate a client secret' },
  'client.tokens_revoked': { target: 'client', description: "Revoke a client's tokens" },
  'client_credential.created': { target: 'client_credential', description: 'Create a client credential' },
  'client_credential.deleted': { target: 'client_credential', description: 'Delete a client credential' },
  'client_grant.created': { target: 'client_grant', description: 'Create a client grant' },
  'client_grant.updated': { target: 'client_grant', description: 'Update a client grant' },
  'client_grant.deleted': { target: 'client_grant', description: 'Delete a client grant' },
  'signing_key.rotated': { target: 'signing_key', description: 'Rotate the signing key' },
  'signing_key.revoked': { target: 'signing_key', description: 'Revoke a signing key' },
  'token.blacklisted': { target: 'token', description: 'Deny-list a token' },
  'console.signed_in': { target: 'console_session', description: 'Sign in to the admin console' },
  'console.sign_in_failed': { target: 'console_session', description: 'Failed sign-in to the admin console' },
  'console.signed_out': { target: 'console_session', description: 'Sign out of the admin console' },
  'client.federated_sign_in': {
    target: 'client',
    description: 'Federated client authentication (workload identity token)',
  },
} as const satisfies Record<string, { target: AuditTargetType; description: string }>;

/** An action name, e.g. `client.secret_rotated`. */
export type AuditAction = keyof typeof AUDIT_ACTIONS;

/** True for a known action name. */
export function isAuditAction(value: string): value is AuditAction {
  return Object.hasOwn(AUDIT_ACTIONS, value);
}
