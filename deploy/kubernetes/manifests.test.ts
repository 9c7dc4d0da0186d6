/**
 * The Kubernetes manifests, validated without a cluster: each overlay is built (kustomize's
 * resources and JSON 6902 patches), every object checked against a strict schema of the fields
 * used, then the references between objects resolved and the security and probe rules checked.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type Deployment,
  type Ingress,
  type K8sObject,
  type Service,
  validateObject,
} from './testing/k8s-schema.ts';
import { applyJsonPatch, buildKustomization, readManifests } from './testing/kustomize.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(here, '../..');
const overlays = {
  sqlite: await buildKustomization(join(here, 'sqlite')),
  postgres: await buildKustomization(join(here, 'postgres')),
};
const ingresses = {
  'ingress-nginx': await readManifests(join(here, 'ingress/ingress-nginx.yaml')),
  traefik: await readManifests(join(here, 'ingress/traefik.yaml')),
};
/** Secrets are created outside these files (kubectl or a secret manager), with these keys. */
const SECRET_KEYS: Record<string, string[]> = {
  'gatehouse-secrets': ['admin-client-id', 'admin-client-secret', 'kek', 'database-url'],
};
const configSources = {
  gatehouse: 'packages/server/src/config.ts',
  contacts: 'services/contacts/src/config.ts',
  authorizer: 'packages/authorizer/src/cli/config.ts',
} as const;

const ofKind = <T>(objects: K8sObject[], kind: string) =>
  objects.filter((o) => o.kind === kind) as unknown as T[];
const find = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

describe.each(Object.entries(overlays))('the %s overlay', (_, objects) => {
  const deployments = ofKind<Deployment>(objects, 'Deployment');
  const services = ofKind<Service>(objects, 'Service');

  it('holds only known kinds, each valid against the schema', () => {
    expect(objects.flatMap(validateObject)).toEqual([]);
    expect(new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`)).size).toBe(objects.length);
  });

  it('puts everything in the gatehouse namespace, which enforces the restricted pod security standard', () => {
    const namespace = find(objects, 'Namespace', 'gatehouse');
    expect(namespace?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const o of objects.filter((x) => x.kind !== 'Namespace'))
      expect(o.metadata.namespace, o.metadata.name).toBe('gatehouse');
  });

  it('runs every container as non-root with a read-only root file system and no capabilities', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual([
      'contacts',
      'gatehouse',
      'gatehouse-authorizer',
    ]);
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      expect(pod.securityContext, d.metadata.name).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of pod.containers) {
        expect(c.securityContext, c.name).toEqual({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(c.resources?.limits?.memory, c.name).toBeDefined();
      }
    }
  });

  it('checks readiness on /healthz and liveness on /healthz or the port', () => {
    for (const d of deployments) {
      for (const c of d.spec.template.spec.containers) {
        expect(c.readinessProbe?.httpGet?.path, c.name).toBe('/healthz');
        const live = c.livenessProbe;
        expect(live?.httpGet?.path === '/healthz' || live?.tcpSocket !== undefined, c.name).toBe(true);
        for (const p of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
          const port = p?.httpGet?.port ?? p?.tcpSocket?.port;
          if (port !== undefined)
            expect(
              c.ports?.some((x) => x.name === port || x.containerPort === port),
              c.name,
            ).toBe(true);
        }
      }
    }
  });

  it('mounts a writable volume only at the data directory, and every volume is declared', () => {
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      for (const c of pod.containers) {
        for (const m of c.volumeMounts ?? []) {
          const volume = pod.volumes?.find((v) => v.name === m.name);
          expect(volume, m.name).toBeDefined();
          if (m.readOnly !== true) expect(m.mountPath).toBe('/var/lib/gatehouse');
          if (volume?.persistentVolumeClaim)
            expect(
              find(objects, 'PersistentVolumeClaim', volume.persistentVolumeClaim.claimName),
            ).toBeDefined();
          if (volume?.configMap) expect(find(objects, 'ConfigMap', volume.configMap.name)).toBeDefined();
        }
      }
    }
  });

  it('runs the image commands that exist, with only variables the services read', async () => {
    for (const d of deployments) {
      const [c] = d.spec.template.spec.containers;
      const [node, bin] = c?.args ?? [];
      expect(node).toBe('node');
      expect(await readFile(join(repo, bin ?? ''), 'utf8')).toContain('runBin');
      const component =
        d.metadata.name === 'gatehouse-authorizer'
          ? 'authorizer'
          : d.metadata.name === 'contacts'
            ? 'contacts'
            : 'gatehouse';
      const source = await readFile(join(repo, configSources[component]), 'utf8');
      for (const env of c?.env ?? [])
        expect(source.includes(`'${env.name}'`) || source.includes(env.name), env.name).toBe(true);
    }
  });

  it('takes secrets only from the gatehouse-secrets Secret, and settings from ConfigMaps that exist', () => {
    for (const d of deployments) {
      for (const env of d.spec.template.spec.containers.flatMap((c) => c.env ?? [])) {
        if (/SECRET|KEK|DATABASE_URL|PASSWORD/.test(env.name))
          expect(env.valueFrom?.secretKeyRef, env.name).toBeDefined();
        const secret = env.valueFrom?.secretKeyRef;
        if (secret) expect(SECRET_KEYS[secret.name], env.name).toContain(secret.key);
        const config = env.valueFrom?.configMapKeyRef;
        if (config) {
          const map = find(objects, 'ConfigMap', config.name) as
            | { data?: Record<string, string> }
            | undefined;
          expect(map?.data?.[config.key], env.name).toBeDefined();
        }
      }
    }
    expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
  });

  it('selects each Service pods of exactly one Deployment, on a named container port', () => {
    for (const s of services) {
      const matching = deployments.filter((d) =>
        Object.entries(s.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
      );
      expect(
        matching.map((d) => d.metadata.name),
        s.metadata.name,
      ).toHaveLength(1);
      for (const port of s.spec.ports) {
        expect(
          matching[0]?.spec.template.spec.containers[0]?.ports?.some((p) => p.name === port.targetPort),
          s.metadata.name,
        ).toBe(true);
      }
    }
    for (const d of deployments) {
      expect(
        Object.entries(d.spec.selector.matchLabels).every(
          ([k, v]) => d.spec.template.metadata.labels[k] === v,
        ),
      ).toBe(true);
    }
  });

  it('gives the authorizer the contacts route policy file', async () => {
    const policy = find(objects, 'ConfigMap', 'contacts-policy') as
      | { data: Record<string, string> }
      | undefined;
    const file = JSON.parse(await readFile(join(repo, 'deploy/policies/contacts-policy.json'), 'utf8'));
    expect(JSON.parse(policy?.data['policy.json'] ?? '{}')).toEqual(file);
    const authorizer = deployments.find((d) => d.metadata.name === 'gatehouse-authorizer');
    const env = authorizer?.spec.template.spec.containers[0]?.env ?? [];
    const mount = authorizer?.spec.template.spec.containers[0]?.volumeMounts?.find(
      (m) => m.name === 'policy',
    );
    expect(env.find((e) => e.name === 'AUTHORIZER_POLICY')?.value).toBe(`${mount?.mountPath}/policy.json`);
  });
});

describe('the store overlays', () => {
  const server = (objects: K8sObject[]) => find(objects, 'Deployment', 'gatehouse') as unknown as Deployment;

  it('keeps SQLite on a claimed volume with one pod, replaced not rolled', () => {
    const d = server(overlays.sqlite);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy?.type).toBe('Recreate');
    expect(d.spec.template.spec.volumes).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'gatehouse-data' } },
    ]);
  });

  it('runs several pods on PostgreSQL, unready but not restarted when the database is down', () => {
    const d = server(overlays.postgres);
    const [c] = d.spec.template.spec.containers;
    expect(d.spec.replicas).toBeGreaterThan(1);
    expect(c?.env?.find((e) => e.name === 'GATEHOUSE_STORE')?.value).toBe('postgres');
    expect(c?.env?.find((e) => e.name === 'GATEHOUSE_DATABASE_URL')?.valueFrom?.secretKeyRef?.key).toBe(
      'database-url',
    );
    expect(c?.env?.find((e) => e.name === 'GATEHOUSE_KEK')?.valueFrom?.secretKeyRef).toBeDefined();
    expect(c?.livenessProbe?.tcpSocket).toBeDefined();
    expect(c?.readinessProbe?.httpGet?.path).toBe('/healthz');
    expect(find(overlays.postgres, 'PersistentVolumeClaim', 'gatehouse-data')).toBeUndefined();
    expect(find(overlays.postgres, 'PodDisruptionBudget', 'gatehouse')).toBeDefined();
  });
});

describe.each(Object.entries(ingresses))('the %s entry', (flavour, objects) => {
  const base = overlays.sqlite;
  const routes = ofKind<Ingress>(objects, 'Ingress');

  it('holds only valid objects, routed to Services and ports that exist', () => {
    expect(objects.flatMap(validateObject)).toEqual([]);
    for (const route of routes) {
      for (const path of route.spec.rules.flatMap((r) => r.http.paths)) {
        const svc = find(base, 'Service', path.backend.service.name) as unknown as Service | undefined;
        const port = path.backend.service.port;
        expect(
          svc?.spec.ports.some((p) => ('name' in port ? p.name === port.name : p.port === port.number)),
        ).toBe(true);
      }
    }
  });

  it('sends every contacts request through the forward-auth authorizer first', () => {
    const contacts = routes.find((r) => r.metadata.name === 'contacts');
    const annotations = contacts?.metadata.annotations ?? {};
    const address =
      flavour === 'ingress-nginx'
        ? annotations['nginx.ingress.kubernetes.io/auth-url']
        : (() => {
            const [ref] = (annotations['traefik.ingress.kubernetes.io/router.middlewares'] ?? '').split(',');
            const [, namespace, name] = /^([a-z0-9-]+?)-(.+)@kubernetescrd$/.exec(ref ?? '') ?? [];
            const middleware = objects.find(
              (o) =>
                o.kind === 'Middleware' && o.metadata.namespace === namespace && o.metadata.name === name,
            ) as { spec: { forwardAuth: { address: string } } } | undefined;
            return middleware?.spec.forwardAuth.address;
          })();
    const url = new URL(address ?? 'http://missing');
    const [svcName, namespace] = url.hostname.split('.');
    const svc = find(base, 'Service', svcName ?? '') as unknown as Service | undefined;
    expect(namespace).toBe('gatehouse');
    expect(svc?.spec.ports.map((p) => p.port)).toContain(Number(url.port));
    // The authorizer reads the original method and URI from this dialect's headers (forward-auth /nginx, /traefik).
    expect(url.pathname).toBe(flavour === 'ingress-nginx' ? '/nginx' : '/traefik');
    if (flavour === 'ingress-nginx')
      expect(annotations['nginx.ingress.kubernetes.io/auth-method']).toBe('GET');
    expect(contacts?.spec.rules.flatMap((r) => r.http.paths.map((p) => p.backend.service.name))).toEqual([
      'contacts',
    ]);
  });

  it('leaves the authorization server without forward-auth, since clients get their tokens there', () => {
    const server = routes.find((r) => r.metadata.name === 'gatehouse');
    expect(Object.keys(server?.metadata.annotations ?? {}).some((k) => k.includes('auth'))).toBe(false);
    expect(server?.spec.tls?.length).toBeGreaterThan(0);
  });
});

describe('the schema and the kustomize build', () => {
  it('refuse a misspelt field, a missing field and an unknown kind', () => {
    const [deployment] = overlays.sqlite.filter((o) => o.kind === 'Deployment');
    const typo = applyJsonPatch(deployment as K8sObject, [
      { op: 'add', path: '/spec/template/spec/containers/0/readinesProbe', value: {} },
    ]);
    expect(validateObject(typo).join()).toMatch(/readinesProbe/);
    const missing = applyJsonPatch(deployment as K8sObject, [{ op: 'remove', path: '/spec/selector' }]);
    expect(validateObject(missing).join()).toMatch(/selector/);
    expect(validateObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } })).toEqual([
      'v1/Pod is not a kind these manifests may use',
    ]);
  });

  it('refuses a patch whose path does not resolve', () => {
    expect(() => applyJsonPatch({ a: [1] }, [{ op: 'replace', path: '/a/3', value: 2 }])).toThrow(
      /out of range/,
    );
    expect(() => applyJsonPatch({ a: {} }, [{ op: 'add', path: '/b/c', value: 2 }])).toThrow(
      /does not exist/,
    );
  });

  it('covers every manifest file in the directory', async () => {
    const files = (await readdir(here, { recursive: true })).filter((f) => f.endsWith('.yaml'));
    expect(files.sort()).toEqual([
      'base/authorizer.yaml',
      'base/config.yaml',
      'base/contacts.yaml',
      'base/kustomization.yaml',
      'base/namespace.yaml',
      'base/server.yaml',
      'ingress/ingress-nginx.yaml',
      'ingress/traefik.yaml',
      'postgres/disruption-budget.yaml',
      'postgres/kustomization.yaml',
      'sqlite/data-volume.yaml',
      'sqlite/kustomization.yaml',
    ]);
  });
});
