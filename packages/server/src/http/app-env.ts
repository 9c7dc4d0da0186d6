/** Per-request variables the routes share with the request logger. */
export interface AppEnv {
  Variables: {
    /** The authenticated client (token endpoint) or the Management API caller, once known. */
    clientId: string;
    /** The caller's address as the rate limits count it (set on `/oauth/*`; see limits/source-address.ts). */
    sourceAddress: string;
  };
}
