/**
 * The one place the CLI reads the environment. Admin commands take their server and credentials
 * from these variables when no flag is given; `gatehouse serve` hands the whole environment to the
 * server's own `loadConfig`, which validates every `GATEHOUSE_*` variable itself.
 */
import { z } from 'zod';

const optionalText = z
  .string()
  .transform((value) => value.trim())
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const CliEnvironmentSchema = z.object({
  GATEHOUSE_ISSUER: optionalText,
  GATEHOUSE_ADMIN_CLIENT_ID: optionalText,
  GATEHOUSE_ADMIN_CLIENT_SECRET: optionalText,
});

/** The variables the admin commands fall back to when a flag is absent (all optional). */
export interface CliEnvironment {
  issuer: string | undefined;
  adminClientId: string | undefined;
  adminClientSecret: string | undefined;
}

/** Parses the CLI's variables out of an environment map; empty values count as unset. */
export function parseCliEnvironment(env: Record<string, string | undefined>): CliEnvironment {
  const parsed = CliEnvironmentSchema.parse(env);
  return {
    issuer: parsed.GATEHOUSE_ISSUER,
    adminClientId: parsed.GATEHOUSE_ADMIN_CLIENT_ID,
    adminClientSecret: parsed.GATEHOUSE_ADMIN_CLIENT_SECRET,
  };
}

/** Reads the CLI's variables from the process environment. */
export function readCliEnvironment(): CliEnvironment {
  return parseCliEnvironment(process.env);
}

/** The whole process environment, for `gatehouse serve` to pass to the server's `loadConfig`. */
export function readServerEnvironment(): Record<string, string | undefined> {
  return { ...process.env };
}
