export * from './route-policy.ts';
export * from './scopes.ts';
