/**
 * Replays a Dockerfile's build without a Docker engine: each stage becomes a directory standing
 * for its root file system, `COPY` copies from the build context (after `.dockerignore`) or from
 * an earlier stage, `WORKDIR`/`ENV`/`USER`/`CMD`/`HEALTHCHECK` are recorded, and each `RUN` is
 * replayed by a known recipe, or the replay stops, so a new step cannot slip through untested.
 *
 * Where the replay departs from `docker build`, it says so in `notes`:
 * - the base image is the host (checked: same Debian release, same Node.js major, same npm);
 * - `apt-get install` is checked (the packages must be on the host), not run;
 * - `npm ci` runs with `--ignore-scripts`, then the native add-ons named in `allowScripts` get the
 *   host's compiled binaries (same Node ABI, same glibc): compiling SQLite takes about three
 *   minutes on two cores. The root project's own lifecycle scripts (`prepare`) do run.
 *   `installScripts: true` runs every script for real.
 * - COPY keeps modification times, as Docker's does (the bins' bundle freshness check needs it).
 * @see https://docs.docker.com/reference/dockerfile/
 */
import { execFile } from 'node:child_process';
import { chmod, chown, cp, lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import {
  type Dockerfile,
  type DockerStage,
  type Healthcheck,
  parseCopyArgs,
  parseEnvArgs,
  parseExecForm,
  parseHealthcheck,
} from './parse-dockerfile.ts';

const run = promisify(execFile);

/** What the replay needs. */
export interface ReplayOptions {
  readonly dockerfile: Dockerfile;
  /** Directory of the build context (the repository root). */
  readonly contextDir: string;
  /** Relative paths of the files in the context, from `listBuildContext`. */
  readonly contextFiles: readonly string[];
  /** Empty scratch directory; stage roots go under it. */
  readonly workDir: string;
  /** Run install scripts in `npm ci` (slow: compiles native add-ons). */
  readonly installScripts?: boolean;
}

/** The final stage as an image: its root directory and its configuration. */
export interface ReplayedImage {
  readonly root: string;
  readonly env: Readonly<Record<string, string>>;
  readonly workdir: string;
  readonly user: { readonly uid: number; readonly gid: number } | undefined;
  readonly cmd: readonly string[];
  readonly healthcheck: Healthcheck | undefined;
  readonly exposed: readonly string[];
  readonly volumes: readonly string[];
  /** How each step was replayed, where it differs from `docker build`. */
  readonly notes: readonly string[];
}

/** Raised for a step the replay has no recipe for; teach `replay-image.ts` the step. */
export class ReplayUnsupportedError extends Error {
  readonly code = 'ERR_REPLAY_UNSUPPORTED';
  constructor(line: number, what: string) {
    super(`Dockerfile line ${line}: the replay has no recipe for ${what}; add one to replay-image.ts`);
    this.name = 'ReplayUnsupportedError';
  }
}

interface StageState {
  root: string;
  workdir: string;
  env: Record<string, string>;
  users: Map<string, number>;
  groups: Map<string, number>;
  user: { uid: number; gid: number } | undefined;
  cmd: string[];
  healthcheck: Healthcheck | undefined;
  exposed: string[];
  volumes: string[];
}

/** The Debian release and Node.js major a `node:<major>-<codename>[-slim]` tag promises. */
const DEBIAN_CODENAMES: Record<string, string> = { bookworm: '12', trixie: '13', bullseye: '11' };

/** Files of the base image's /etc that a Node process uses. */
const BASE_ETC = [
  'passwd',
  'group',
  'hosts',
  'resolv.conf',
  'nsswitch.conf',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'ssl',
];

/** The root project's lifecycle scripts that `npm ci` runs, in order. */
const ROOT_LIFECYCLE = [
  'preinstall',
  'install',
  'postinstall',
  'prepublish',
  'preprepare',
  'prepare',
  'postprepare',
];

/** Replays the build; returns the final stage. */
export async function replayImage(options: ReplayOptions): Promise<ReplayedImage> {
  const { dockerfile } = options;
  const notes: string[] = [];
  const roots = new Map<string, string>();
  let last: StageState | undefined;
  for (const [index, stage] of dockerfile.stages.entries()) {
    const state = await createBaseStage(stage, join(options.workDir, `stage-${index}`), notes);
    for (const instruction of stage.instructions) {
      const { keyword, args, line } = instruction;
      switch (keyword) {
        case 'WORKDIR':
          state.workdir = posix.resolve(state.workdir, args);
          await mkdir(inRoot(state, state.workdir), { recursive: true });
          break;
        case 'ENV':
          Object.assign(state.env, parseEnvArgs(args));
          break;
        case 'ARG':
        case 'LABEL':
        case 'STOPSIGNAL':
          break;
        case 'COPY':
          await replayCopy(state, args, line, options, roots);
          break;
        case 'RUN':
          await replayRun(state, args, line, options, notes);
          break;
        case 'USER':
          state.user = resolveUser(state, args, line);
          break;
        case 'EXPOSE':
          state.exposed.push(...args.split(/\s+/));
          break;
        case 'VOLUME':
          state.volumes.push(...(parseExecForm(args) ?? args.split(/\s+/)));
          break;
        case 'CMD':
          state.cmd = parseExecForm(args) ?? ['/bin/sh', '-c', args];
          break;
        case 'HEALTHCHECK':
          state.healthcheck = parseHealthcheck(args);
          break;
        default:
          throw new ReplayUnsupportedError(line, keyword);
      }
    }
    if (stage.name !== undefined) roots.set(stage.name, state.root);
    roots.set(String(index), state.root);
    last = state;
  }
  if (last === undefined) throw new Error('the Dockerfile has no stage');
  return {
    root: last.root,
    env: last.env,
    workdir: last.workdir,
    user: last.user,
    cmd: last.cmd,
    healthcheck: last.healthcheck,
    exposed: last.exposed,
    volumes: last.volumes,
    notes,
  };
}

/** The host stands in for the base image: check that it is the same Debian and Node.js. */
async function createBaseStage(stage: DockerStage, root: string, notes: string[]): Promise<StageState> {
  const tag = /^node:(\d+)-([a-z]+)(?:-slim)?$/.exec(stage.base);
  if (!tag)
    throw new Error(`the replay knows only node:<major>-<debian>[-slim] base images, not ${stage.base}`);
  const [, major, codename] = tag;
  const nodeMajor = process.versions.node.split('.')[0];
  if (nodeMajor !== major)
    throw new Error(`${stage.base} runs Node.js ${major}; this host runs ${process.versions.node}`);
  const debian = (await readFile('/etc/debian_version', 'utf8').catch(() => '')).trim().split('.')[0];
  if (DEBIAN_CODENAMES[codename ?? ''] !== debian) {
    throw new Error(`${stage.base} is Debian ${codename}; this host is Debian ${debian || 'unknown'}`);
  }
  await mkdir(root, { recursive: true });
  await mkdir(join(root, 'etc'));
  for (const name of BASE_ETC) {
    await cp(join('/etc', name), join(root, 'etc', name), { recursive: true, dereference: true }).catch(
      () => {},
    );
  }
  await mkdir(join(root, 'tmp'), { mode: 0o1777 });
  await chmod(join(root, 'tmp'), 0o1777);
  await mkdir(join(root, 'var', 'lib'), { recursive: true });
  notes.push(`FROM ${stage.base}: the host (Debian ${debian}, Node.js ${process.versions.node}) stands in`);
  return {
    root,
    workdir: '/',
    env: {},
    users: new Map([['root', 0]]),
    groups: new Map([['root', 0]]),
    user: undefined,
    cmd: [],
    healthcheck: undefined,
    exposed: [],
    volumes: [],
  };
}

function inRoot(state: StageState, imagePath: string): string {
  return join(state.root, posix.resolve(state.workdir, imagePath));
}

async function replayCopy(
  state: StageState,
  args: string,
  line: number,
  options: ReplayOptions,
  roots: ReadonlyMap<string, string>,
): Promise<void> {
  const copy = parseCopyArgs(args);
  const toDirectory = copy.destination.endsWith('/') || copy.sources.length > 1;
  const written: string[] = [];
  for (const source of copy.sources) {
    if (/[*?[]/.test(source)) throw new ReplayUnsupportedError(line, `a COPY wildcard (${source})`);
    if (copy.from !== undefined) {
      const fromRoot = roots.get(copy.from);
      if (fromRoot === undefined)
        throw new ReplayUnsupportedError(line, `COPY --from=${copy.from} (not a stage)`);
      const target = toDirectory ? posix.join(copy.destination, posix.basename(source)) : copy.destination;
      const to = inRoot(state, target);
      await mkdir(dirname(to), { recursive: true });
      await cp(join(fromRoot, source), to, {
        recursive: true,
        verbatimSymlinks: true,
        force: true,
        preserveTimestamps: true,
      });
      written.push(to);
      continue;
    }
    const prefix = posix
      .normalize(source)
      .replace(/^\.\/?/, '')
      .replace(/\/$/, '');
    const inside = options.contextFiles.filter((f) => prefix === '' || f.startsWith(`${prefix}/`));
    if (options.contextFiles.includes(prefix)) {
      const target = toDirectory ? posix.join(copy.destination, posix.basename(prefix)) : copy.destination;
      const to = inRoot(state, target);
      await mkdir(dirname(to), { recursive: true });
      await cp(join(options.contextDir, prefix), to, { verbatimSymlinks: true, preserveTimestamps: true });
      written.push(to);
    } else if (inside.length > 0) {
      // A directory source copies its contents (as `docker build` does), filtered by .dockerignore.
      for (const file of inside) {
        const to = inRoot(state, posix.join(copy.destination, file.slice(prefix.length)));
        await mkdir(dirname(to), { recursive: true });
        await cp(join(options.contextDir, file), to, { verbatimSymlinks: true, preserveTimestamps: true });
        written.push(to);
      }
    } else {
      throw new Error(`Dockerfile line ${line}: COPY ${source} names nothing in the build context`);
    }
  }
  if (copy.chown !== undefined) {
    const [user, group] = copy.chown.split(':');
    const uid = resolveId(state.users, user ?? '', line);
    const gid = group === undefined ? uid : resolveId(state.groups, group, line);
    for (const path of written) await run('chown', ['-R', '-h', `${uid}:${gid}`, path]);
  }
}

function resolveId(ids: ReadonlyMap<string, number>, value: string, line: number): number {
  if (/^\d+$/.test(value)) return Number(value);
  const id = ids.get(value);
  if (id === undefined) throw new Error(`Dockerfile line ${line}: unknown user or group ${value}`);
  return id;
}

function resolveUser(state: StageState, args: string, line: number): { uid: number; gid: number } {
  const [user, group] = args.trim().split(':');
  const uid = resolveId(state.users, user ?? '', line);
  return { uid, gid: group === undefined ? uid : resolveId(state.groups, group, line) };
}

/** Words of a shell command, with simple quotes; enough for the recipes below. */
function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

function option(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

async function replayRun(
  state: StageState,
  args: string,
  line: number,
  options: ReplayOptions,
  notes: string[],
): Promise<void> {
  if (parseExecForm(args) !== null) throw new ReplayUnsupportedError(line, 'RUN in exec form');
  for (const command of args.split('&&').map((c) => c.trim())) {
    const argv = words(command);
    const [program, ...rest] = argv;
    const paths = rest.filter((a) => !a.startsWith('-'));
    if (program === 'apt-get' && rest[0] === 'update') continue;
    if (program === 'rm' && command === 'rm -rf /var/lib/apt/lists/*') continue;
    if (program === 'apt-get' && rest.includes('install')) {
      const packages = rest.filter((a) => !a.startsWith('-') && a !== 'install');
      await run('dpkg', ['-s', ...packages]).catch(() => {
        throw new Error(
          `Dockerfile line ${line}: the host lacks ${packages.join(' ')} (apt-get install them)`,
        );
      });
      notes.push(`RUN apt-get install ${packages.join(' ')}: checked present on the host, not installed`);
    } else if (
      program === 'npm' &&
      rest[0] === 'install' &&
      rest[1] === '-g' &&
      /^npm@/.test(rest[2] ?? '')
    ) {
      const wanted = (rest[2] ?? '').slice('npm@'.length);
      const { stdout } = await run('npm', ['--version']);
      if (stdout.trim() !== wanted) {
        throw new Error(
          `Dockerfile line ${line}: the image pins npm ${wanted}; this host has npm ${stdout.trim()}`,
        );
      }
      notes.push(`RUN npm install -g npm@${wanted}: the host's npm is that version`);
    } else if (program === 'npm' && rest[0] === 'ci') {
      await replayNpmCi(state, rest, options, notes);
    } else if (program === 'groupadd') {
      const name = paths.at(-1) ?? '';
      const gid = Number(option(rest, '--gid'));
      state.groups.set(name, gid);
      await writeFile(join(state.root, 'etc', 'group'), `${name}:x:${gid}:\n`, { flag: 'a' });
    } else if (program === 'useradd') {
      const uid = Number(option(rest, '--uid'));
      const name = paths.at(-1) ?? '';
      const group = option(rest, '--gid') ?? name;
      const gid = resolveId(state.groups, group, line);
      state.users.set(name, uid);
      const home = option(rest, '--home-dir') ?? `/home/${name}`;
      const shell = option(rest, '--shell') ?? '/bin/sh';
      const etc = join(state.root, 'etc');
      await writeFile(join(etc, 'passwd'), `${name}:x:${uid}:${gid}::${home}:${shell}\n`, { flag: 'a' });
    } else if (program === 'mkdir') {
      for (const path of paths) await mkdir(inRoot(state, path), { recursive: rest.includes('-p') });
    } else if (program === 'chown' && paths.length >= 2) {
      const [owner = '', ...targets] = paths;
      const [user, group] = owner.split(':');
      const uid = resolveId(state.users, user ?? '', line);
      const gid = group === undefined ? uid : resolveId(state.groups, group, line);
      for (const target of targets) await chown(inRoot(state, target), uid, gid);
    } else if (program === 'chmod' && paths.length >= 2) {
      const [mode = '', ...targets] = paths;
      if (!/^[0-7]{3,4}$/.test(mode))
        throw new ReplayUnsupportedError(line, `chmod ${mode} (use an octal mode)`);
      for (const target of targets) await chmod(inRoot(state, target), Number.parseInt(mode, 8));
    } else {
      throw new ReplayUnsupportedError(line, `RUN ${command}`);
    }
  }
}

async function replayNpmCi(
  state: StageState,
  args: readonly string[],
  options: ReplayOptions,
  notes: string[],
): Promise<void> {
  const cwd = join(state.root, state.workdir);
  const flags = [...args, ...(options.installScripts ? [] : ['--ignore-scripts'])];
  await run('npm', flags, {
    cwd,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  if (options.installScripts) {
    notes.push(`RUN npm ${args.join(' ')}: run as written`);
    return;
  }
  const manifest = JSON.parse(await readFile(join(cwd, 'package.json'), 'utf8')) as {
    allowScripts?: Record<string, boolean>;
    scripts?: Record<string, string>;
  };
  const substituted: string[] = [];
  for (const [name, allowed] of Object.entries(manifest.allowScripts ?? {})) {
    if (!allowed) continue;
    const built = join(options.contextDir, 'node_modules', name, 'build');
    const target = join(cwd, 'node_modules', name);
    if (!(await exists(built)) || !(await exists(target))) continue;
    await cp(built, join(target, 'build'), { recursive: true, verbatimSymlinks: true });
    substituted.push(name);
  }
  // The root project's own lifecycle scripts run as `npm ci` runs them, in its order.
  const lifecycle = ROOT_LIFECYCLE.filter((name) => manifest.scripts?.[name] !== undefined);
  for (const name of lifecycle) await run('npm', ['run', name], { cwd, maxBuffer: 16 * 1024 * 1024 });
  notes.push(
    `RUN npm ${args.join(' ')}: dependencies' install scripts skipped, compiled add-ons taken from the host for ` +
      `${substituted.join(', ') || 'none'}; root lifecycle scripts run: ${lifecycle.join(', ') || 'none'}`,
  );
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
