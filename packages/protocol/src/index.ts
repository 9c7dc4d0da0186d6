export * from './scopes.ts';
