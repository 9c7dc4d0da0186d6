/**
 * A schema for the Kubernetes objects gatehouse's manifests use, written for the fields they use
 * (no network here to fetch the cluster's OpenAPI document). Objects are strict: a field the
 * schema does not know, a typo such as `readinesProbe` or `containerport`, fails validation.
 * Field names and shapes follow the Kubernetes API reference (core/v1, apps/v1, policy/v1,
 * networking.k8s.io/v1) and Traefik's Middleware CRD (traefik.io/v1alpha1).
 * @see https://kubernetes.io/docs/reference/kubernetes-api/
 * @see https://doc.traefik.io/traefik/middlewares/http/forwardauth/
 */
import { z } from 'zod';

const name = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label')
  .max(63);
const labels = z.record(z.string().max(317), z.string().max(63));
const quantity = z.union([z.string().regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G)?$/), z.number()]);
const portRef = z.union([z.number().int().min(1).max(65535), name.max(15)]);

const metadata = z.strictObject({
  name,
  namespace: name.optional(),
  labels: labels.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const probe = z
  .strictObject({
    httpGet: z
      .strictObject({
        path: z.string().startsWith('/'),
        port: portRef,
        scheme: z.enum(['HTTP', 'HTTPS']).optional(),
      })
      .optional(),
    tcpSocket: z.strictObject({ port: portRef }).optional(),
    exec: z.strictObject({ command: z.array(z.string()).min(1) }).optional(),
    initialDelaySeconds: z.number().int().min(0).optional(),
    periodSeconds: z.number().int().min(1).optional(),
    timeoutSeconds: z.number().int().min(1).optional(),
    successThreshold: z.number().int().min(1).optional(),
    failureThreshold: z.number().int().min(1).optional(),
  })
  .refine(
    (p) => [p.httpGet, p.tcpSocket, p.exec].filter(Boolean).length === 1,
    'a probe needs exactly one handler',
  );

const keyRef = z.strictObject({ name, key: z.string().min(1), optional: z.boolean().optional() });
const envVar = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
    value: z.string().optional(),
    valueFrom: z
      .strictObject({ secretKeyRef: keyRef.optional(), configMapKeyRef: keyRef.optional() })
      .refine((v) => Boolean(v.secretKeyRef) !== Boolean(v.configMapKeyRef), 'one source')
      .optional(),
  })
  .refine(
    (e) => (e.value === undefined) !== (e.valueFrom === undefined),
    'an env var needs value or valueFrom',
  );

const containerSecurityContext = z.strictObject({
  readOnlyRootFilesystem: z.boolean().optional(),
  allowPrivilegeEscalation: z.boolean().optional(),
  runAsNonRoot: z.boolean().optional(),
  runAsUser: z.number().int().optional(),
  runAsGroup: z.number().int().optional(),
  privileged: z.boolean().optional(),
  capabilities: z
    .strictObject({ drop: z.array(z.string()).optional(), add: z.array(z.string()).optional() })
    .optional(),
  seccompProfile: z.strictObject({ type: z.enum(['RuntimeDefault', 'Localhost', 'Unconfined']) }).optional(),
});

const container = z.strictObject({
  name,
  image: z.string().min(1),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  ports: z
    .array(
      z.strictObject({
        name: name.max(15).optional(),
        containerPort: z.number().int().min(1).max(65535),
        protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
      }),
    )
    .optional(),
  env: z.array(envVar).optional(),
  startupProbe: probe.optional(),
  readinessProbe: probe.optional(),
  livenessProbe: probe.optional(),
  resources: z
    .strictObject({
      requests: z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() }).optional(),
      limits: z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() }).optional(),
    })
    .optional(),
  securityContext: containerSecurityContext.optional(),
  volumeMounts: z
    .array(
      z.strictObject({
        name,
        mountPath: z.string().startsWith('/'),
        readOnly: z.boolean().optional(),
        subPath: z.string().optional(),
      }),
    )
    .optional(),
});

const volume = z
  .strictObject({
    name,
    emptyDir: z.strictObject({ medium: z.string().optional(), sizeLimit: quantity.optional() }).optional(),
    persistentVolumeClaim: z.strictObject({ claimName: name, readOnly: z.boolean().optional() }).optional(),
    configMap: z.strictObject({ name, defaultMode: z.number().int().optional() }).optional(),
    secret: z.strictObject({ secretName: name, defaultMode: z.number().int().optional() }).optional(),
  })
  .refine(
    (v) => [v.emptyDir, v.persistentVolumeClaim, v.configMap, v.secret].filter(Boolean).length === 1,
    'one volume source',
  );

const podSpec = z.strictObject({
  automountServiceAccountToken: z.boolean().optional(),
  enableServiceLinks: z.boolean().optional(),
  serviceAccountName: name.optional(),
  terminationGracePeriodSeconds: z.number().int().min(0).optional(),
  securityContext: z
    .strictObject({
      runAsNonRoot: z.boolean().optional(),
      runAsUser: z.number().int().optional(),
      runAsGroup: z.number().int().optional(),
      fsGroup: z.number().int().optional(),
      seccompProfile: z
        .strictObject({ type: z.enum(['RuntimeDefault', 'Localhost', 'Unconfined']) })
        .optional(),
    })
    .optional(),
  containers: z.array(container).min(1),
  volumes: z.array(volume).optional(),
});

const selector = z.strictObject({ matchLabels: labels });

const deployment = z.strictObject({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('Deployment'),
  metadata,
  spec: z.strictObject({
    replicas: z.number().int().min(0).optional(),
    strategy: z
      .strictObject({
        type: z.enum(['Recreate', 'RollingUpdate']),
        rollingUpdate: z
          .strictObject({ maxSurge: portRef.optional(), maxUnavailable: portRef.optional() })
          .optional(),
      })
      .optional(),
    selector,
    template: z.strictObject({ metadata: z.strictObject({ labels }), spec: podSpec }),
  }),
});

const service = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata,
  spec: z.strictObject({
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).optional(),
    selector: labels,
    ports: z
      .array(
        z.strictObject({
          name: name.optional(),
          port: z.number().int().min(1).max(65535),
          targetPort: portRef.optional(),
          protocol: z.enum(['TCP', 'UDP', 'SCTP']).optional(),
        }),
      )
      .min(1),
  }),
});

const ingressBackend = z.strictObject({
  service: z.strictObject({
    name,
    port: z.union([z.strictObject({ name }), z.strictObject({ number: z.number().int() })]),
  }),
});

const ingress = z.strictObject({
  apiVersion: z.literal('networking.k8s.io/v1'),
  kind: z.literal('Ingress'),
  metadata,
  spec: z.strictObject({
    ingressClassName: z.string().optional(),
    tls: z.array(z.strictObject({ hosts: z.array(z.string()), secretName: name })).optional(),
    rules: z.array(
      z.strictObject({
        host: z.string().optional(),
        http: z.strictObject({
          paths: z.array(
            z.strictObject({
              path: z.string().startsWith('/'),
              pathType: z.enum(['Prefix', 'Exact', 'ImplementationSpecific']),
              backend: ingressBackend,
            }),
          ),
        }),
      }),
    ),
  }),
});

/** Every kind the manifests may hold, by `apiVersion/kind`. */
export const K8S_SCHEMAS = {
  'v1/Namespace': z.strictObject({ apiVersion: z.literal('v1'), kind: z.literal('Namespace'), metadata }),
  'v1/ConfigMap': z.strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('ConfigMap'),
    metadata,
    data: z.record(z.string().regex(/^[-._a-zA-Z0-9]+$/), z.string()),
  }),
  'v1/PersistentVolumeClaim': z.strictObject({
    apiVersion: z.literal('v1'),
    kind: z.literal('PersistentVolumeClaim'),
    metadata,
    spec: z.strictObject({
      accessModes: z
        .array(z.enum(['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod']))
        .min(1),
      storageClassName: z.string().optional(),
      resources: z.strictObject({ requests: z.strictObject({ storage: quantity }) }),
    }),
  }),
  'v1/Service': service,
  'apps/v1/Deployment': deployment,
  'policy/v1/PodDisruptionBudget': z.strictObject({
    apiVersion: z.literal('policy/v1'),
    kind: z.literal('PodDisruptionBudget'),
    metadata,
    spec: z.strictObject({ minAvailable: portRef.optional(), maxUnavailable: portRef.optional(), selector }),
  }),
  'networking.k8s.io/v1/Ingress': ingress,
  'traefik.io/v1alpha1/Middleware': z.strictObject({
    apiVersion: z.literal('traefik.io/v1alpha1'),
    kind: z.literal('Middleware'),
    metadata,
    spec: z.strictObject({
      forwardAuth: z.strictObject({
        address: z.url(),
        trustForwardHeader: z.boolean().optional(),
        authResponseHeaders: z.array(z.string()).optional(),
        authRequestHeaders: z.array(z.string()).optional(),
      }),
    }),
  }),
} as const;

/** A Kubernetes object as parsed from YAML, before validation. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** Validated Deployment. */
export type Deployment = z.infer<typeof deployment>;
/** Validated Service. */
export type Service = z.infer<typeof service>;
/** Validated Ingress. */
export type Ingress = z.infer<typeof ingress>;

/** Problems with `object` (empty when valid): an unknown apiVersion/kind, or each schema issue with its path. */
export function validateObject(object: K8sObject): string[] {
  const key = `${object.apiVersion}/${object.kind}`;
  const schema = (K8S_SCHEMAS as Record<string, z.ZodType>)[key];
  if (schema === undefined) return [`${key} is not a kind these manifests may use`];
  const result = schema.safeParse(object);
  if (result.success) return [];
  return result.error.issues.map((i) => `${key} ${object.metadata?.name}: ${i.path.join('.')}: ${i.message}`);
}
