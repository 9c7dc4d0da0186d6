/**
 * Runs a replayed image as `docker run --read-only -v <dir>:<path>` would, without a Docker
 * engine: a private mount namespace (`unshare -m`), the image root bind-mounted read-only with the
 * host's /usr (the base image stand-in) read-only below it, each volume bind-mounted writable,
 * then `chroot --userspec` to the image's USER and its WORKDIR, and exec of the command with the
 * image's ENV and nothing else. `exec` enters the same namespace, root and user (`nsenter`), as
 * `docker exec` and the HEALTHCHECK do. The network is the host's (like `--network host`).
 * Needs root with CAP_SYS_ADMIN; `canIsolate()` says whether this machine allows it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, chown, lstat, mkdir, readlink, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ReplayedImage } from './replay-image.ts';

const execFileAsync = promisify(execFile);

/** `PATH` as the node images set it. */
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Top-level directories of the base image that the host lends, read-only. */
const HOST_DIRS = ['usr', 'bin', 'sbin', 'lib', 'lib64'];

/** Options of `startContainer`. */
export interface ContainerOptions {
  readonly image: ReplayedImage;
  /** Replaces the image's CMD (as `docker run <image> <command>`). */
  readonly command?: readonly string[];
  /** `-e NAME=value` */
  readonly env?: Readonly<Record<string, string>>;
  /** `-v <host dir>:<path in the image>`; the host directory is created from the image's (owner, mode). */
  readonly volumes?: Readonly<Record<string, string>>;
}

/** Result of a command run inside the container. */
export interface ExecResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running container. */
export interface RunningContainer {
  readonly pid: number;
  /** Everything the command wrote to stdout and stderr so far. */
  output(): string;
  /** Runs `command` inside the container, as its user, in its working directory. */
  exec(command: readonly string[], env?: Readonly<Record<string, string>>): Promise<ExecResult>;
  /** SIGTERM (SIGKILL after `graceMs`); resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** Resolves when the process exits by itself. */
  readonly exited: Promise<number | null>;
}

/** Whether this machine lets the tests build private mount namespaces (root with CAP_SYS_ADMIN). */
export async function canIsolate(): Promise<boolean> {
  try {
    await execFileAsync('unshare', ['--mount', '--propagation', 'private', 'true']);
    await execFileAsync('nsenter', ['--version']);
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The container's environment: the image's, `-e` over it, PATH and HOME as Docker sets them. */
function containerEnv(image: ReplayedImage, extra: Readonly<Record<string, string>>): Record<string, string> {
  return { PATH: IMAGE_PATH, HOSTNAME: 'gatehouse-replay', HOME: '/nonexistent', ...image.env, ...extra };
}

/** Starts the container; resolves once the command runs. */
export async function startContainer(options: ContainerOptions): Promise<RunningContainer> {
  const { image } = options;
  const root = image.root;
  const env = containerEnv(image, options.env ?? {});
  const user = image.user ?? { uid: 0, gid: 0 };
  const command = options.command ?? image.cmd;
  if (command.length === 0) throw new Error('no command: the image has no CMD and none was given');

  const script: string[] = ['set -e', `R=${shellQuote(root)}`, 'mount --bind "$R" "$R"'];
  for (const name of HOST_DIRS) {
    const host = await lstat(join('/', name)).catch(() => undefined);
    const path = join(root, name);
    if (host === undefined) continue;
    if (host.isSymbolicLink()) {
      if (!(await lstat(path).catch(() => undefined))) await symlink(await readlink(join('/', name)), path);
      continue;
    }
    await mkdir(path, { recursive: true });
    script.push(`mount --bind /${name} "$R/${name}"`, `mount -o remount,bind,ro "$R/${name}"`);
  }
  for (const name of ['dev', 'proc']) {
    await mkdir(join(root, name), { recursive: true });
    script.push(`mount --rbind /${name} "$R/${name}"`);
  }
  for (const [hostDir, imagePath] of Object.entries(options.volumes ?? {})) {
    const inImage = join(root, imagePath);
    await mkdir(inImage, { recursive: true });
    // A new named volume starts with the image directory's owner and mode, as Docker copies them.
    const model = await stat(inImage);
    await mkdir(hostDir, { recursive: true });
    await chown(hostDir, model.uid, model.gid);
    await chmod(hostDir, model.mode & 0o7777);
    script.push(`mount --bind ${shellQuote(hostDir)} "$R"${shellQuote(imagePath)}`);
  }
  script.push(
    'mount -o remount,bind,ro "$R"',
    `exec chroot --userspec=${user.uid}:${user.gid} "$R" /usr/bin/env --chdir=${shellQuote(image.workdir)} ${command.map(shellQuote).join(' ')}`,
  );

  const child = spawn(
    'unshare',
    ['--mount', '--propagation', 'private', '/bin/sh', '-c', script.join('\n')],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  exited.then(() => process.removeListener('exit', killOnExit));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const pid = child.pid ?? -1;

  return {
    pid,
    output: () => output,
    exited,
    exec: (argv, extra = {}) => execIn(pid, user, { ...env, ...extra }, argv),
    stop: (graceMs = 10_000) => stop(child, exited, graceMs),
  };
}

function execIn(
  pid: number,
  user: { uid: number; gid: number },
  env: Record<string, string>,
  argv: readonly string[],
): Promise<ExecResult> {
  const args = [
    '--target',
    String(pid),
    '--mount',
    '--root',
    '--wd',
    '--setuid',
    String(user.uid),
    '--setgid',
    String(user.gid),
    '--',
    ...argv,
  ];
  return new Promise((resolve) => {
    execFile('nsenter', args, { env, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

async function stop(
  child: ChildProcess,
  exited: Promise<number | null>,
  graceMs: number,
): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
  child.kill('SIGTERM');
  const code = await exited;
  clearTimeout(force);
  return code;
}
