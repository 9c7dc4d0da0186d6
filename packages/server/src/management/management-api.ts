/**
 * The Management API as a resource server of its own: its identifier and Auth0's scope names.
 * Its tokens are gatehouse's own, issued for the audience `${issuer}api/v2/`.
 */
import type { ScopeDefinition } from '../store/store.ts';

/** Display name of the Management API resource server. */
export const MANAGEMENT_API_NAME = 'gatehouse Management API';

/** The Management API's audience for an issuer ending in `/`. */
export function managementAudience(issuer: string): string {
  return `${issuer}api/v2/`;
}

/** Every Management API scope (Auth0's names), with what it allows. */
export const MANAGEMENT_SCOPES: readonly ScopeDefinition[] = [
  { value: 'read:clients', description: 'Read clients' },
  { value: 'create:clients', description: 'Create clients' },
  { value: 'update:clients', description: 'Update clients' },
  { value: 'delete:clients', description: 'Delete clients' },
  { value: 'read:client_keys', description: 'Read client credentials' },
  { value: 'update:client_keys', description: 'Rotate client secrets' },
  { value: 'read:client_credentials', description: 'Read client public-key credentials' },
  { value: 'create:client_credentials', description: 'Register client public-key credentials' },
  { value: 'delete:client_credentials', description: 'Delete client public-key credentials' },
  { value: 'read:resource_servers', description: 'Read APIs' },
  { value: 'create:resource_servers', description: 'Create APIs' },
  { value: 'update:resource_servers', description: 'Update APIs' },
  { value: 'delete:resource_servers', description: 'Delete APIs' },
  { value: 'read:client_grants', description: 'Read client grants' },
  { value: 'create:client_grants', description: 'Create client grants' },
  { value: 'update:client_grants', description: 'Update client grants' },
  { value: 'delete:client_grants', description: 'Delete client grants' },
  { value: 'read:signing_keys', description: 'Read signing keys' },
  { value: 'create:signing_keys', description: 'Rotate signing keys' },
  { value: 'update:signing_keys', description: 'Revoke signing keys' },
  { value: 'blacklist:tokens', description: 'Deny-list tokens' },
  { value: 'read:logs', description: 'Read the audit log' },
  { value: 'read:stats', description: 'Read token statistics' },
];
