/**
 * Runs a real nginx (Debian's /usr/sbin/nginx) with deploy/systemd/nginx-gatehouse.conf for tests:
 * a throw-away prefix directory, one foreground process, the file's upstream ports and listen port
 * rewritten to the ones the test uses, nothing else changed.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, waitForHealth } from '../../testing/wait-for-health.ts';

const CONF = new URL('../nginx-gatehouse.conf', import.meta.url);

/** A running nginx. */
export interface RunningNginx {
  readonly url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Starts nginx in `dir` in front of the server, contacts and authorizer ports. */
export async function startNginx(
  dir: string,
  ports: { server: number; contacts: number; authorizer: number },
): Promise<RunningNginx> {
  await mkdir(dir, { recursive: true });
  const listen = await freePort();
  const site = (await readFile(CONF, 'utf8'))
    .replace('server 127.0.0.1:4000;', `server 127.0.0.1:${ports.server};`)
    .replace('server 127.0.0.1:4001;', `server 127.0.0.1:${ports.contacts};`)
    .replace('server 127.0.0.1:4002;', `server 127.0.0.1:${ports.authorizer};`)
    .replace('listen 8080;', `listen 127.0.0.1:${listen};`);
  await writeFile(join(dir, 'gatehouse.conf'), site);
  const temp = (name: string) => `${name}_temp_path ${join(dir, name)};`;
  await writeFile(
    join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'master_process off;',
      `pid ${join(dir, 'nginx.pid')};`,
      'error_log stderr warn;',
      'events { worker_connections 64; }',
      'http {',
      '  access_log off;',
      `  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
      `  include ${join(dir, 'gatehouse.conf')};`,
      '}',
    ].join('\n'),
  );
  const child = spawn('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${listen}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGQUIT');
      await exited;
    }
  };
  try {
    await waitForHealth(`${url}/healthz`, { exited, output: () => output });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, output: () => output, stop };
}
