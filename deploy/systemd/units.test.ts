/**
 * The systemd units: `systemd-analyze verify` (syntax, known settings, the ExecStart binary),
 * `systemd-analyze security --offline` (exposure score), the hardening settings one by one, and
 * then each unit's ExecStart run in a sandbox built from its settings (see run-unit.ts), answering
 * the story's requests. Needs `systemd-analyze` (Debian package `systemd`); skipped, loudly, only
 * when it is absent.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canIsolate } from '../container/run-container.ts';
import { provisionStory, requestToken } from '../testing/contacts-story.ts';
import { runVerifyScript } from '../testing/verify-script.ts';
import { freePort, waitForHealth } from '../testing/wait-for-health.ts';
import { parseUnit, type SystemdUnit, unitEnvironment, unitSetting } from './parse-unit.ts';
import { INSTALL_DIR, type RunningUnit, startUnit } from './run-unit.ts';
import { startNginx } from './testing/start-nginx.ts';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(here, '../..');
const UNIT_FILES = ['gatehouse.service', 'gatehouse-contacts.service', 'gatehouse-authorizer.service'];
const units = Object.fromEntries(
  await Promise.all(
    UNIT_FILES.map(async (name) => [name, parseUnit(await readFile(join(here, name), 'utf8'))] as const),
  ),
) as Record<string, SystemdUnit>;
const ANALYZE = '/usr/bin/systemd-analyze';
const NGINX = '/usr/sbin/nginx';
const hasAnalyze = existsSync(ANALYZE);
if (!hasAnalyze) {
  console.warn(
    'units.test.ts: systemd-analyze is missing, so the units are NOT verified; install it: apt-get install -y systemd',
  );
}
/** Variables each service reads, from its config module's source. */
const configSources = {
  'gatehouse.service': 'packages/server/src/config.ts',
  'gatehouse-contacts.service': 'services/contacts/src/config.ts',
  'gatehouse-authorizer.service': 'packages/authorizer/src/cli/config.ts',
} as const;

describe.each(UNIT_FILES)('%s', (name) => {
  const unit = units[name]!;
  const service = (key: string) => unitSetting(unit, 'Service', key);

  it.runIf(hasAnalyze)('passes systemd-analyze verify without a warning', async () => {
    const { stdout, stderr } = await run(ANALYZE, ['verify', join(here, name)]);
    expect(`${stdout}${stderr}`).toBe('');
  });

  it.runIf(hasAnalyze)('has an overall exposure of at most 2.0 in systemd-analyze security', async () => {
    const { stdout } = await run(ANALYZE, ['security', '--offline=yes', '--threshold=20', join(here, name)]);
    const score = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(stdout)?.[1]);
    expect(score).toBeLessThanOrEqual(2);
  });

  it('runs as a dynamic user on a read-only system with private /tmp and no /home', () => {
    expect({
      DynamicUser: service('DynamicUser'),
      ProtectSystem: service('ProtectSystem'),
      ProtectHome: service('ProtectHome'),
      PrivateTmp: service('PrivateTmp'),
      PrivateDevices: service('PrivateDevices'),
      NoNewPrivileges: service('NoNewPrivileges'),
      CapabilityBoundingSet: service('CapabilityBoundingSet'),
      AmbientCapabilities: service('AmbientCapabilities'),
      RestrictAddressFamilies: service('RestrictAddressFamilies'),
      SystemCallArchitectures: service('SystemCallArchitectures'),
      UMask: service('UMask'),
    }).toEqual({
      DynamicUser: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      NoNewPrivileges: 'yes',
      CapabilityBoundingSet: '',
      AmbientCapabilities: '',
      RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX',
      SystemCallArchitectures: 'native',
      UMask: '0077',
    });
    expect(unit.Service?.SystemCallFilter?.[0]).toBe('@system-service');
    expect(unit.Service?.User).toBeUndefined();
  });

  it('reads its settings from an optional root-owned file under /etc/gatehouse', () => {
    expect(service('EnvironmentFile')).toMatch(/^-\/etc\/gatehouse\/[a-z]+\.env$/);
    expect(service('WorkingDirectory')).toBe(INSTALL_DIR);
    const [binary, script] = (service('ExecStart') ?? '').split(' ');
    expect(binary).toBe('/usr/bin/node');
    expect(existsSync(join(repo, (script ?? '').slice(INSTALL_DIR.length)))).toBe(true);
  });

  it('sets only variables its service reads, and no secret', async () => {
    const source = await readFile(join(repo, configSources[name as keyof typeof configSources]), 'utf8');
    for (const variable of Object.keys(unitEnvironment(unit))) {
      if (variable === 'NODE_ENV') continue;
      expect(source.includes(variable), variable).toBe(true);
      expect(variable).not.toMatch(/SECRET|PASSWORD|KEK|TOKEN/);
    }
  });
});

describe('the state directories', () => {
  it('give each stateful service its own directory and point its data directory at it', () => {
    expect(unitSetting(units['gatehouse.service']!, 'Service', 'StateDirectory')).toBe('gatehouse');
    expect(unitEnvironment(units['gatehouse.service']!).GATEHOUSE_DATA_DIR).toBe('/var/lib/gatehouse');
    expect(unitSetting(units['gatehouse-contacts.service']!, 'Service', 'StateDirectory')).toBe(
      'gatehouse-contacts',
    );
    expect(unitEnvironment(units['gatehouse-contacts.service']!).CONTACTS_DATA_DIR).toBe(
      '/var/lib/gatehouse-contacts',
    );
    expect(unitSetting(units['gatehouse-authorizer.service']!, 'Service', 'StateDirectory')).toBeUndefined();
  });
});

const isolation = await canIsolate();
if (!isolation)
  console.warn('units.test.ts: no private mount namespaces here (needs root); the units are not run');

describe.runIf(isolation)('the units, run in their sandbox', () => {
  let work: string;
  const running: RunningUnit[] = [];
  const ports = { server: 0, contacts: 0, authorizer: 0 };
  const admin = { clientId: 'vm-admin', clientSecret: randomBytes(32).toString('base64url') };
  let issuer: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'gatehouse-units-'));
    ports.server = await freePort();
    ports.contacts = await freePort();
    ports.authorizer = await freePort();
    issuer = `http://127.0.0.1:${ports.server}/`;
    const server = await startUnit({
      unit: units['gatehouse.service']!,
      installedFrom: repo,
      stateDir: join(work, 'gatehouse'),
      environmentFile: {
        GATEHOUSE_ISSUER: issuer,
        GATEHOUSE_PORT: String(ports.server),
        GATEHOUSE_ADMIN_CLIENT_ID: admin.clientId,
        GATEHOUSE_ADMIN_CLIENT_SECRET: admin.clientSecret,
      },
    });
    running.push(server);
    await waitForHealth(`${issuer}healthz`, server);
    const contacts = await startUnit({
      unit: units['gatehouse-contacts.service']!,
      installedFrom: repo,
      stateDir: join(work, 'contacts'),
      environmentFile: { GATEHOUSE_ISSUER: issuer, CONTACTS_PORT: String(ports.contacts) },
    });
    running.push(contacts);
    const authorizer = await startUnit({
      unit: units['gatehouse-authorizer.service']!,
      installedFrom: repo,
      environmentFile: {
        GATEHOUSE_ISSUER: issuer,
        AUTHORIZER_AUDIENCE: 'https://contacts.gatehouse.local/',
        AUTHORIZER_PORT: String(ports.authorizer),
        // The file docs/deploy/vm.md copies to /etc/gatehouse/policy.json.
        AUTHORIZER_POLICY: `${INSTALL_DIR}/deploy/policies/contacts-policy.json`,
      },
    });
    running.push(authorizer);
    await waitForHealth(`http://127.0.0.1:${ports.contacts}/healthz`, contacts);
    await waitForHealth(`http://127.0.0.1:${ports.authorizer}/healthz`, authorizer);
  }, 120_000);

  afterAll(async () => {
    for (const unit of running.reverse()) await unit.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('lets a unit write only to its state directory and its private /tmp', async () => {
    const probe = `${INSTALL_DIR}/deploy/systemd/testing/write-probe.mjs`;
    const unit = structuredClone(units['gatehouse.service']!);
    unit.Service!.ExecStart = [`/usr/bin/node ${probe}`];
    const started = await startUnit({ unit, installedFrom: repo, stateDir: join(work, 'probe') });
    expect(await started.exited, started.output()).toBe(0);
    expect(JSON.parse(started.output())).toEqual({
      '/var/lib/gatehouse/x': 'ok',
      '/tmp/x': 'ok',
      '/opt/gatehouse/x': 'EROFS',
      '/etc/x': 'EROFS',
      '/var/lib/x': 'EROFS',
      '/root/x': 'EACCES',
      uid: expect.any(Number),
    });
  });

  it('keeps the server state, and only it, in the state directory', async () => {
    expect(await readdir(join(work, 'gatehouse'))).toEqual(expect.arrayContaining(['gatehouse.db', 'kek']));
    expect(await readdir(join(work, 'contacts'))).toEqual(expect.arrayContaining(['contacts.db']));
  });

  it('answers nginx auth_request checks by route scope through the forward-auth unit', async () => {
    const story = await provisionStory(
      { baseUrl: issuer.slice(0, -1), issuer, admin },
      'https://contacts.gatehouse.local/',
    );
    const token = await requestToken(issuer.slice(0, -1), story.read, story.audience);
    const check = (method: string, authorization?: string) =>
      fetch(`http://127.0.0.1:${ports.authorizer}/nginx`, {
        headers: {
          'x-original-method': method,
          'x-original-uri': '/contacts',
          ...(authorization ? { authorization } : {}),
        },
      });
    expect((await check('GET', `Bearer ${token}`)).status).toBe(200);
    const refused = await check('POST', `Bearer ${token}`);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('insufficient_scope');
    expect((await check('GET')).status).toBe(401);
  }, 30_000);

  it('passes the verification of docs/deploy (deploy/verify-contacts.sh), the contacts API existing already', async () => {
    const result = await runVerifyScript({
      AS: `http://127.0.0.1:${ports.server}`,
      ISSUER: issuer,
      CONTACTS: `http://127.0.0.1:${ports.contacts}`,
      GATEHOUSE_ADMIN_CLIENT_ID: admin.clientId,
      GATEHOUSE_ADMIN_CLIENT_SECRET: admin.clientSecret,
    });
    expect(result.code, `${result.output}\n${running[1]?.output()}`).toBe(0);
  }, 60_000);

  it.runIf(existsSync(NGINX))(
    'serves the verification through nginx-gatehouse.conf with auth_request',
    async () => {
      const nginx = await startNginx(join(work, 'nginx'), ports);
      try {
        const result = await runVerifyScript({
          AS: nginx.url,
          ISSUER: issuer,
          CONTACTS: nginx.url,
          GATEHOUSE_ADMIN_CLIENT_ID: admin.clientId,
          GATEHOUSE_ADMIN_CLIENT_SECRET: admin.clientSecret,
        });
        expect(result.code, `${result.output}\n${nginx.output()}`).toBe(0);
        const challenge = await fetch(`${nginx.url}/contacts`, {
          headers: { authorization: 'Bearer not-a-jwt' },
        });
        expect(challenge.status).toBe(401);
        expect(challenge.headers.get('www-authenticate')).toContain('invalid_token');
      } finally {
        await nginx.stop();
      }
    },
    60_000,
  );

  it('stops each service cleanly on SIGTERM', async () => {
    for (const unit of running.splice(0).reverse()) expect(await unit.stop(), unit.output()).toBe(0);
  });
});
