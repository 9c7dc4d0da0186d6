/**
 * deploy/container/compose.yml and its PostgreSQL overlay, validated by parsing (no Docker engine
 * here): hardening on every gatehouse container, no secret written in the files, every variable
 * one the services read, and the build pointing at the root Dockerfile. The image itself is built
 * and run, with the contacts service as this file configures it, in dockerfile.test.ts.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(here, '../..');

interface ComposeService {
  build?: { context: string; dockerfile: string };
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  read_only?: boolean;
  user?: string;
  cap_drop?: string[];
  security_opt?: string[];
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const load = async (name: string) =>
  parse(await readFile(join(here, name), 'utf8'), { merge: true }) as ComposeFile;
const compose = await load('compose.yml');
const overlay = await load('compose.postgres.yml');
const serverConfig = await readFile(join(repo, 'packages/server/src/config.ts'), 'utf8');
const contactsConfig = await readFile(join(repo, 'services/contacts/src/config.ts'), 'utf8');

describe('compose.yml', () => {
  it('runs the authorization server and the contacts service from the root Dockerfile image', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['contacts', 'gatehouse']);
    const build = compose.services.gatehouse?.build;
    expect(existsSync(join(resolve(here, build!.context), build!.dockerfile))).toBe(true);
    expect(compose.services.contacts?.image).toBe(compose.services.gatehouse?.image);
    expect(compose.services.contacts?.command).toEqual([
      'node',
      'services/contacts/bin/gatehouse-contacts.mjs',
      'serve',
    ]);
    expect(existsSync(join(repo, 'services/contacts/bin/gatehouse-contacts.mjs'))).toBe(true);
  });

  it('hardens every container: read-only root, non-root user, no capabilities, no new privileges', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.read_only, name).toBe(true);
      expect(service.user, name).toBe('10001:10001');
      expect(service.cap_drop, name).toEqual(['ALL']);
      expect(service.security_opt, name).toContain('no-new-privileges:true');
      // The data volume is the only writable path.
      expect(
        service.volumes?.map((v) => v.split(':')[1]),
        name,
      ).toEqual(['/var/lib/gatehouse']);
    }
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual(['contacts-data', 'gatehouse-data']);
  });

  it('publishes the ports on the loopback interface only', () => {
    expect(compose.services.gatehouse?.ports).toEqual(['127.0.0.1:4000:4000']);
    expect(compose.services.contacts?.ports).toEqual(['127.0.0.1:4001:4001']);
  });

  it('gives the contacts service an issuer it can reach on the compose network', () => {
    const issuer = compose.services.contacts?.environment?.GATEHOUSE_ISSUER ?? '';
    expect(issuer).toBe(compose.services.gatehouse?.environment?.GATEHOUSE_ISSUER);
    expect(issuer).toContain('http://gatehouse:4000/');
    expect(compose.services.contacts?.depends_on?.gatehouse?.condition).toBe('service_healthy');
    expect(compose.services.contacts?.healthcheck?.test.join(' ')).toContain('/healthz');
  });

  it('writes no secret: secret variables come only from the environment', () => {
    for (const file of [compose, overlay]) {
      for (const service of Object.values(file.services)) {
        for (const [name, value] of Object.entries(service.environment ?? {})) {
          if (/SECRET|PASSWORD|KEK|DATABASE_URL/.test(name))
            expect(String(value), name).toMatch(/\$\{[A-Z_]+:?[-?]/);
        }
      }
    }
  });

  it('sets only variables that the services read', () => {
    const known = (name: string) =>
      serverConfig.includes(`'${name}'`) || contactsConfig.includes(`'${name}'`);
    for (const file of [compose, overlay]) {
      for (const service of Object.values(file.services).filter(
        (s) => s.environment && !s.environment.POSTGRES_DB,
      )) {
        for (const name of Object.keys(service.environment ?? {})) expect(known(name), name).toBe(true);
      }
    }
  });
});

describe('compose.postgres.yml', () => {
  it('adds PostgreSQL and points the server store at it', () => {
    expect(overlay.services.postgres?.healthcheck?.test).toContain('pg_isready');
    expect(overlay.services.gatehouse?.environment).toMatchObject({
      GATEHOUSE_STORE: 'postgres',
      GATEHOUSE_DATABASE_URL: expect.stringContaining('@postgres:5432/gatehouse'),
    });
    expect(overlay.services.gatehouse?.depends_on?.postgres?.condition).toBe('service_healthy');
  });

  it('refuses to start without a PostgreSQL password', () => {
    expect(overlay.services.postgres?.environment?.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
  });
});
