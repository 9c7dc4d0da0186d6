/** Runs deploy/verify-contacts.sh, the verification every docs/deploy page ends with. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../verify-contacts.sh', import.meta.url));

/** Runs the script with `env` (AS, ISSUER, CONTACTS, admin credential); resolves with its exit code and output. */
export function runVerifyScript(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [SCRIPT],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}
