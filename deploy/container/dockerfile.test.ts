/**
 * The root Dockerfile, checked and then built and run without a Docker engine (none runs here):
 * its invariants are read from the parsed file, its build is replayed step by step from the real
 * build context (see replay-image.ts for where the replay departs from `docker build`), and the
 * result runs as `docker run --read-only` would: its user, its ENV, a read-only root file system
 * and the data volume as the only writable path (see run-container.ts). Takes about a minute.
 * Set GATEHOUSE_REPLAY_INSTALL_SCRIPTS=1 to run npm's install scripts too (compiles better-sqlite3:
 * about three more minutes on two cores).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { provisionStory, runContactsStory } from '../testing/contacts-story.ts';
import { runVerifyScript } from '../testing/verify-script.ts';
import { freePort, waitForHealth } from '../testing/wait-for-health.ts';
import { isExcluded, listBuildContext, parseDockerignore } from './docker-context.ts';
import {
  instructionsOf,
  parseCopyArgs,
  parseDockerfile,
  parseEnvArgs,
  parseExecForm,
  parseHealthcheck,
} from './parse-dockerfile.ts';
import { type ReplayedImage, replayImage } from './replay-image.ts';
import { canIsolate, type RunningContainer, startContainer } from './run-container.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const dockerfile = parseDockerfile(await readFile(join(repo, 'Dockerfile'), 'utf8'));
const ignoreRules = parseDockerignore(await readFile(join(repo, '.dockerignore'), 'utf8'));
const rootManifest = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as {
  workspaces: string[];
  scripts?: Record<string, string>;
};
const runtime = dockerfile.stages.at(-1)!;
const build = dockerfile.stages[0]!;
const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|KEK|PRIVATE|CREDENTIAL|API_KEY/i;

describe('the Dockerfile', () => {
  it('builds in a named build stage and a runtime stage, both from node:20-bookworm-slim', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    for (const stage of dockerfile.stages) expect(stage.base).toBe('node:20-bookworm-slim');
  });

  it('runs as a numeric non-root user, so Kubernetes runAsNonRoot can verify it', () => {
    const users = instructionsOf(runtime, 'USER');
    expect(users).toHaveLength(1);
    const [uid, gid] = users[0]!.args.split(':').map(Number);
    expect(uid).toBeGreaterThanOrEqual(10000);
    expect(gid).toBeGreaterThanOrEqual(10000);
    // USER comes after every RUN and COPY, so nothing later runs as root.
    const last = runtime.instructions.findLastIndex((i) => i.keyword === 'RUN' || i.keyword === 'COPY');
    expect(runtime.instructions.indexOf(users[0]!)).toBeGreaterThan(last);
  });

  it('listens on every interface at 4000 and keeps its data in the /var/lib/gatehouse volume', () => {
    const env = Object.assign({}, ...instructionsOf(runtime, 'ENV').map((i) => parseEnvArgs(i.args)));
    expect(env).toMatchObject({
      GATEHOUSE_HOST: '0.0.0.0',
      GATEHOUSE_PORT: '4000',
      GATEHOUSE_DATA_DIR: '/var/lib/gatehouse',
      CONTACTS_DATA_DIR: expect.stringMatching(/^\/var\/lib\/gatehouse\//),
      NODE_ENV: 'production',
    });
    expect(instructionsOf(runtime, 'EXPOSE').map((i) => i.args)).toEqual(['4000']);
    expect(instructionsOf(runtime, 'VOLUME').map((i) => parseExecForm(i.args))).toEqual([
      ['/var/lib/gatehouse'],
    ]);
    expect(parseExecForm(instructionsOf(runtime, 'CMD')[0]!.args)).toEqual([
      'node',
      'packages/server/bin/gatehouse.mjs',
      'serve',
    ]);
  });

  it('checks its health with node fetching /healthz, since the slim image has no curl', () => {
    const [check] = instructionsOf(runtime, 'HEALTHCHECK');
    const { command, options } = parseHealthcheck(check!.args);
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    expect(command[2]).toContain('/healthz');
    expect(command[2]).toContain('process.env.GATEHOUSE_PORT');
    expect(options).toMatchObject({ interval: '30s', timeout: '5s' });
  });

  it('sets no secret in ENV, ARG or LABEL', () => {
    for (const stage of dockerfile.stages) {
      for (const i of stage.instructions.filter((x) => ['ENV', 'ARG', 'LABEL'].includes(x.keyword))) {
        const names = i.keyword === 'ENV' ? Object.keys(parseEnvArgs(i.args)) : [i.args.split('=')[0] ?? ''];
        for (const name of names) expect(name, `line ${i.line}`).not.toMatch(SECRET_NAME);
      }
    }
  });

  it('copies every workspace and the bin shim before npm ci, which installs production dependencies only', () => {
    const copies = instructionsOf(build, 'COPY').map((i) => parseCopyArgs(i.args));
    const sources = copies.flatMap((c) => c.sources);
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
    for (const workspace of rootManifest.workspaces) {
      expect(sources.some((s) => workspace === s || workspace.startsWith(`${s}/`))).toBe(true);
    }
    // The bins import scripts/bin-shim.mjs; `npm ci` runs the root `prepare` (scripts/build.mjs).
    expect(sources).toEqual(expect.arrayContaining(['scripts/bin-shim.mjs', 'scripts/build.mjs']));
    expect(rootManifest.scripts?.prepare ?? '').toMatch(/^node scripts\/build\.mjs$/);
    const install = instructionsOf(build, 'RUN').find((i) => i.args.startsWith('npm ci'));
    expect(install?.args).toMatch(/--omit=dev/);
    const installAt = build.instructions.indexOf(install!);
    expect(build.instructions.findLastIndex((i) => i.keyword === 'COPY')).toBeLessThan(installAt);
  });

  it('keeps the toolchain and the npm cache out of the runtime stage', () => {
    expect(instructionsOf(runtime, 'RUN').some((i) => /apt-get|npm/.test(i.args))).toBe(false);
    const copies = instructionsOf(runtime, 'COPY').map((i) => parseCopyArgs(i.args));
    expect(copies).toEqual([{ from: 'build', chown: '0:0', sources: ['/app'], destination: '/app' }]);
  });
});

describe('the build context', () => {
  let files: string[];
  beforeAll(async () => {
    files = await listBuildContext(repo, ignoreRules);
  });

  it('holds the sources and manifests the image needs', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'package-lock.json',
        'packages/server/bin/gatehouse.mjs',
        'packages/server/src/serve.ts',
        'services/contacts/bin/gatehouse-contacts.mjs',
        'packages/authorizer/bin/gatehouse-authorizer.mjs',
        'scripts/bin-shim.mjs',
        'scripts/build.mjs',
      ]),
    );
  });

  it('leaves out local data, credentials, dependencies, tests and everything not allowed', () => {
    for (const path of [
      '.gatehouse/local-stack.json',
      '.gatehouse/kek',
      'packages/server/.gatehouse/gatehouse.db',
      '.env',
      'services/contacts/.env',
      '.git/config',
      'node_modules/hono/package.json',
      'packages/server/node_modules/x/index.js',
      'packages/server/src/serve.test.ts',
      'test/e2e/story.test.ts',
      'deploy/aws/serverless.yml',
    ]) {
      expect(isExcluded(ignoreRules, path), path).toBe(true);
    }
    expect(files.filter((f) => /(^|\/)(node_modules|\.gatehouse|\.contacts|\.git)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.test.ts') || f.endsWith('.env'))).toEqual([]);
    expect(
      files.filter(
        (f) =>
          !/^(package(-lock)?\.json|tsconfig\.base\.json|packages\/|services\/|scripts\/(bin-shim|build)\.mjs$)/.test(
            f,
          ),
      ),
    ).toEqual([]);
  });
});

const isolation = await canIsolate();
if (!isolation) {
  console.warn(
    'dockerfile.test.ts: this machine does not allow private mount namespaces (needs root with CAP_SYS_ADMIN); ' +
      'the image is built but not run',
  );
}

describe('the image, built and run without a Docker engine', () => {
  let work: string;
  let image: ReplayedImage;
  let server: RunningContainer | undefined;
  let contacts: RunningContainer | undefined;
  let serverPort: number;
  let contactsPort: number;
  const admin = { clientId: 'container-admin', clientSecret: randomBytes(32).toString('base64url') };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'gatehouse-image-'));
    image = await replayImage({
      dockerfile,
      contextDir: repo,
      contextFiles: await listBuildContext(repo, ignoreRules),
      workDir: join(work, 'layers'),
      installScripts: process.env.GATEHOUSE_REPLAY_INSTALL_SCRIPTS === '1',
    });
    for (const note of image.notes) console.info(`replay: ${note}`);
    if (!isolation) return;
    serverPort = await freePort();
    contactsPort = await freePort();
    const issuer = `http://127.0.0.1:${serverPort}/`;
    // As `docker run --read-only -v <volume>:/var/lib/gatehouse -e ...`: port and issuer as a port
    // mapping would give them, the admin credential as an operator passes it.
    server = await startContainer({
      image,
      env: {
        GATEHOUSE_PORT: String(serverPort),
        GATEHOUSE_ISSUER: issuer,
        GATEHOUSE_ADMIN_CLIENT_ID: admin.clientId,
        GATEHOUSE_ADMIN_CLIENT_SECRET: admin.clientSecret,
      },
      volumes: { [join(work, 'gatehouse-data')]: '/var/lib/gatehouse' },
    });
    await waitForHealth(`http://127.0.0.1:${serverPort}/healthz`, server);
    // The contacts service as compose.yml runs it: the same image, its command and environment.
    const compose = parseYaml(await readFile(join(repo, 'deploy/container/compose.yml'), 'utf8')) as {
      services: { contacts: { command: string[]; environment: Record<string, string> } };
    };
    const service = compose.services.contacts;
    contacts = await startContainer({
      image,
      command: service.command,
      env: {
        ...resolveComposeEnv(service.environment),
        GATEHOUSE_ISSUER: issuer,
        CONTACTS_PORT: String(contactsPort),
      },
      volumes: { [join(work, 'contacts-data')]: '/var/lib/gatehouse' },
    });
    await waitForHealth(`http://127.0.0.1:${contactsPort}/healthz`, contacts);
  }, 180_000);

  afterAll(async () => {
    await contacts?.stop();
    await server?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('installs every production dependency the bins import', async () => {
    const modules = await readdir(join(image.root, 'app/node_modules'));
    expect(modules).toEqual(expect.arrayContaining(['@gatehouse', 'hono', 'better-sqlite3', 'tsx']));
    // Dev tools stay out of the runtime image.
    for (const devOnly of ['vitest', 'typescript', '@biomejs', 'playwright-core'])
      expect(modules).not.toContain(devOnly);
    expect(await readdir(join(image.root, 'app/node_modules/better-sqlite3/build/Release'))).toContain(
      'better_sqlite3.node',
    );
  });

  it('holds a bundle of each bin that is fresher than every source it was built from', async () => {
    for (const pkg of ['packages/server', 'packages/authorizer', 'services/contacts']) {
      const dist = join(image.root, 'app', pkg, 'dist');
      const { builtAt, inputs } = JSON.parse(await readFile(join(dist, 'cli.inputs.json'), 'utf8')) as {
        builtAt: number;
        inputs: string[];
      };
      expect(inputs.length).toBeGreaterThan(10);
      for (const input of inputs)
        expect((await stat(join(dist, input))).mtimeMs, input).toBeLessThanOrEqual(builtAt);
    }
  });

  it.runIf(isolation)('serves /healthz from its CMD as user 10001, and its HEALTHCHECK passes', async () => {
    const res = await fetch(`http://127.0.0.1:${serverPort}/healthz`);
    expect(res.status).toBe(200);
    const check = await server!.exec(image.healthcheck!.command);
    expect(check.code, check.stderr).toBe(0);
    const id = await server!.exec(['node', '-e', 'process.stdout.write(String(process.getuid()))']);
    expect(id.stdout).toBe('10001');
  });

  it.runIf(isolation)('fails its HEALTHCHECK when nothing answers on the port', async () => {
    const check = await server!.exec(image.healthcheck!.command, {
      GATEHOUSE_PORT: String(await freePort()),
    });
    expect(check.code).toBe(1);
  });

  it.runIf(isolation)('writes only to the data volume on a read-only root file system', async () => {
    for (const path of ['/app/probe', '/tmp/probe', '/var/lib/probe']) {
      const write = await server!.exec([
        'node',
        '-e',
        `require('fs').writeFileSync(${JSON.stringify(path)}, 'x')`,
      ]);
      expect(write.code, path).not.toBe(0);
      expect(write.stderr).toMatch(/EROFS|EACCES/);
    }
    expect((await readdir(join(work, 'gatehouse-data'))).sort()).toEqual(
      expect.arrayContaining(['gatehouse.db', 'kek']),
    );
    expect(await readdir(join(work, 'contacts-data'))).toEqual(['contacts']);
  });

  it.runIf(isolation)(
    'issues tokens that the contacts container accepts or refuses by scope',
    async () => {
      const access = {
        baseUrl: `http://127.0.0.1:${serverPort}`,
        issuer: `http://127.0.0.1:${serverPort}/`,
        admin,
      };
      const story = await provisionStory(access, 'https://contacts.gatehouse.local/');
      const outcome = await runContactsStory(access, story, `http://127.0.0.1:${contactsPort}`);
      expect(outcome.readCreates.status).toBe(403);
      expect(outcome.readCreates.wwwAuthenticate).toContain('insufficient_scope');
      expect(outcome.writeCreates.status).toBe(201);
      expect(outcome.readLists.status).toBe(200);
      expect(outcome.readLists.body).toContain('"Ada"');
      expect(outcome.noToken.status).toBe(401);
      expect(outcome.expiredToken.status).toBe(401);
      expect(outcome.expiredToken.wwwAuthenticate).toContain('invalid_token');
    },
    60_000,
  );

  it.runIf(isolation)(
    'passes the verification of docs/deploy (deploy/verify-contacts.sh)',
    async () => {
      const result = await runVerifyScript({
        AS: `http://127.0.0.1:${serverPort}`,
        ISSUER: `http://127.0.0.1:${serverPort}/`,
        CONTACTS: `http://127.0.0.1:${contactsPort}`,
        GATEHOUSE_ADMIN_CLIENT_ID: admin.clientId,
        GATEHOUSE_ADMIN_CLIENT_SECRET: admin.clientSecret,
      });
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain('ok   read token creates a contact: 403');
      expect(result.output).toContain('verified:');
    },
    60_000,
  );

  it.runIf(isolation)('never writes the admin secret to its output', () => {
    expect(server!.output()).not.toContain(admin.clientSecret);
    expect(server!.output()).toContain('"msg"');
  });

  it.runIf(isolation)('stops cleanly on SIGTERM, as `docker stop` sends', async () => {
    const code = await contacts!.stop();
    contacts = undefined;
    expect(code).toBe(0);
  });
});

/** Compose `${VAR:-default}` values, resolved with an empty environment (the defaults). */
function resolveComposeEnv(environment: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    out[name] = String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
  }
  return out;
}
