/**
 * Who may call what on the contacts API: its default identifier (the `aud` of its tokens), its
 * scopes, and the route policy the authorizer enforces (DESIGN.md "Route policy"). `npm start`
 * creates the contacts API on the authorization server with these same values.
 */

/** Default API identifier of the contacts service (`CONTACTS_AUDIENCE`), the tokens' `aud`. */
export const DEFAULT_CONTACTS_AUDIENCE = 'https://contacts.gatehouse.local/';

/** The scopes the contacts API defines, with their descriptions (Auth0 resource-server shape). */
export const CONTACTS_SCOPES = [
  { value: 'read:contacts', description: 'List and read contacts' },
  { value: 'write:contacts', description: 'Create, replace and delete contacts' },
] as const;

/** One route of a policy: a request needs all `scopes` of the route it matches. */
export interface ContactsRoute {
  method: string;
  path: string;
  scopes: string[];
}

/** The route policy of the contacts API: reads need read:contacts, writes need write:contacts. */
export const CONTACTS_ROUTE_POLICY: { routes: ContactsRoute[] } = {
  routes: [
    { method: 'GET', path: '/contacts', scopes: ['read:contacts'] },
    { method: 'GET', path: '/contacts/{id}', scopes: ['read:contacts'] },
    { method: 'POST', path: '/contacts', scopes: ['write:contacts'] },
    { method: 'PUT', path: '/contacts/{id}', scopes: ['write:contacts'] },
    { method: 'DELETE', path: '/contacts/{id}', scopes: ['write:contacts'] },
  ],
};
