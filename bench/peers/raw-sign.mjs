// The raw RS256 ceiling: how many JWT-sized RS256 signatures one process makes per second with
// crypto.sign and nothing else. Prints `READY {"ops": n, "cpuUsPerOp": m}` and exits (cpuUsPerOp:
// the CPU time one signature takes, which other processes on the core do not change much).
import { generateKeyPairSync, sign } from 'node:crypto';

const seconds = Number(process.env.SECONDS ?? 5);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: 'k' })).toString('base64url');
const now = Math.floor(Date.now() / 1000);
let n = 0;
// Warm up, then measure.
for (let i = 0; i < 50; i++) sign('sha256', Buffer.from(`${header}.x${i}`), privateKey);
const cpu = process.cpuUsage();
const start = process.hrtime.bigint();
const end = start + BigInt(seconds * 1e9);
while (process.hrtime.bigint() < end) {
  const payload = Buffer.from(
    JSON.stringify({
      iss: 'http://127.0.0.1/',
      sub: 'c',
      aud: 'a',
      iat: now,
      exp: now + 3600,
      jti: String(n),
    }),
  ).toString('base64url');
  sign('sha256', Buffer.from(`${header}.${payload}`), privateKey);
  n++;
}
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
const used = process.cpuUsage(cpu);
console.log(`READY ${JSON.stringify({ ops: n / elapsed, cpuUsPerOp: (used.user + used.system) / n })}`);
