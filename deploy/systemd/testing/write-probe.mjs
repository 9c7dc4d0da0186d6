// Run as a unit's ExecStart by units.test.ts: tries to write where a hardened unit may and may not,
// and prints what happened as JSON.
import { writeFileSync } from 'node:fs';

const result = {};
for (const path of [
  '/var/lib/gatehouse/x',
  '/tmp/x',
  '/opt/gatehouse/x',
  '/etc/x',
  '/var/lib/x',
  '/root/x',
]) {
  try {
    writeFileSync(path, 'x');
    result[path] = 'ok';
  } catch (error) {
    result[path] = error.code;
  }
}
result.uid = process.getuid();
process.stdout.write(JSON.stringify(result));
