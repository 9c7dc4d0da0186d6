/**
 * Runs a unit's `ExecStart` the way systemd would, without systemd as PID 1 (none runs here): in
 * a private mount namespace where the installation directory (`/opt/gatehouse`, here a read-only
 * bind of the repository) and the whole file system are read-only (`ProtectSystem=strict`),
 * `/tmp` and `/var/tmp` are private (`PrivateTmp=yes`), `/home` and `/root` are empty and
 * inaccessible (`ProtectHome=yes`), the `StateDirectory=` is the one writable path, and the
 * process runs as an unprivileged user no file belongs to (`DynamicUser=yes`) with
 * `NoNewPrivileges`, the unit's `Environment=` and the `EnvironmentFile=` values, in its
 * `WorkingDirectory=`. The seccomp filter, capability and namespace restrictions are not enforced
 * here: `systemd-analyze verify` and `security` check those settings.
 * @see https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chown, mkdir } from 'node:fs/promises';
import { type SystemdUnit, unitEnvironment, unitSetting } from './parse-unit.ts';

/** Where the units expect the code. */
export const INSTALL_DIR = '/opt/gatehouse';

/** Options of `startUnit`. */
export interface UnitRunOptions {
  readonly unit: SystemdUnit;
  /** Directory standing in for the installation in `/opt/gatehouse` (the repository). */
  readonly installedFrom: string;
  /** Host directory standing in for the StateDirectory (created; chowned to the dynamic user). */
  readonly stateDir?: string;
  /** What /etc/gatehouse/*.env holds. */
  readonly environmentFile?: Readonly<Record<string, string>>;
  /** The dynamic user's id (systemd picks one from 61184-65519). */
  readonly uid?: number;
}

/** A running unit. */
export interface RunningUnit {
  output(): string;
  readonly exited: Promise<number | null>;
  /** SIGTERM (the unit's KillSignal), SIGKILL after 15 s (its TimeoutStopSec). */
  stop(): Promise<number | null>;
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Starts the unit's ExecStart in its sandbox. */
export async function startUnit(options: UnitRunOptions): Promise<RunningUnit> {
  const { unit } = options;
  const uid = options.uid ?? 61184 + Math.floor(Math.random() * 4000);
  const execStart = unitSetting(unit, 'Service', 'ExecStart');
  if (execStart === undefined) throw new Error('the unit has no ExecStart');
  const workingDirectory = unitSetting(unit, 'Service', 'WorkingDirectory') ?? '/';
  const stateName = unitSetting(unit, 'Service', 'StateDirectory');
  const script = ['set -e', 'mount -t tmpfs -o mode=0755 tmpfs /opt', `mkdir ${INSTALL_DIR}`];
  script.push(
    `mount --bind ${quote(options.installedFrom)} ${INSTALL_DIR}`,
    `mount -o remount,bind,ro ${INSTALL_DIR}`,
  );
  if (stateName !== undefined) {
    if (options.stateDir === undefined) throw new Error(`StateDirectory=${stateName} needs a stateDir`);
    await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
    await chown(options.stateDir, uid, uid);
    script.push(
      'mount -t tmpfs -o mode=0755 tmpfs /var/lib',
      `mkdir /var/lib/${stateName}`,
      `mount --bind ${quote(options.stateDir)} /var/lib/${stateName}`,
      'mount -o remount,ro /var/lib',
    );
  }
  script.push(
    'mount -t tmpfs -o mode=1777 tmpfs /tmp',
    'mount -t tmpfs -o mode=1777 tmpfs /var/tmp',
    'mount -t tmpfs -o mode=0000 tmpfs /home',
    'mount -t tmpfs -o mode=0000 tmpfs /root',
    'mount -o remount,bind,ro /',
    'mount -o remount,ro /opt',
    `exec setpriv --reuid=${uid} --regid=${uid} --clear-groups --no-new-privs /usr/bin/env --chdir=${quote(workingDirectory)} ${execStart}`,
  );
  const env = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin',
    ...unitEnvironment(unit),
    ...options.environmentFile,
  };
  const child = spawn(
    'unshare',
    ['--mount', '--propagation', 'private', '/bin/sh', '-c', script.join('\n')],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return watch(child);
}

function watch(child: ChildProcess): RunningUnit {
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  return {
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.kill('SIGTERM');
      const code = await exited;
      clearTimeout(force);
      return code;
    },
  };
}
