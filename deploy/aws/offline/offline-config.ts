/** Configuration of `npm run offline`, from its environment (the one place it is read). */

/** Validated settings. */
export interface OfflineConfig {
  readonly httpPort: number;
  readonly lambdaPort: number;
  /** `OFFLINE_VERBOSE=1`: relay serverless offline's own output. */
  readonly verbose: boolean;
}

function port(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 65535) {
    throw new Error(`${name} must be a port number from 1 to 65535`);
  }
  return Number(raw);
}

/** Reads OFFLINE_HTTP_PORT (3000), OFFLINE_LAMBDA_PORT (3002) and OFFLINE_VERBOSE. */
export function readOfflineConfig(env: Readonly<Record<string, string | undefined>>): OfflineConfig {
  return {
    httpPort: port(env, 'OFFLINE_HTTP_PORT', 3000),
    lambdaPort: port(env, 'OFFLINE_LAMBDA_PORT', 3002),
    verbose: env.OFFLINE_VERBOSE === '1',
  };
}
