/**
 * `kustomize build` for the features gatehouse's kustomizations use, so tests can validate what an
 * overlay produces without kubectl: `resources` (files, or directories with a kustomization.yaml)
 * and inline JSON 6902 `patches` selected by group, version, kind and name. Any other
 * kustomization field fails the build rather than being ignored.
 * @see https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/
 * @see https://www.rfc-editor.org/rfc/rfc6902
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import type { K8sObject } from './k8s-schema.ts';

const patchOperation = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('add'), path: z.string(), value: z.unknown() }),
  z.strictObject({ op: z.literal('replace'), path: z.string(), value: z.unknown() }),
  z.strictObject({ op: z.literal('remove'), path: z.string() }),
]);

/** A JSON 6902 patch operation (the subset the kustomizations use). */
export type PatchOperation = z.infer<typeof patchOperation>;

const kustomizationSchema = z.strictObject({
  apiVersion: z.literal('kustomize.config.k8s.io/v1beta1'),
  kind: z.literal('Kustomization'),
  resources: z.array(z.string()).min(1),
  patches: z
    .array(
      z.strictObject({
        target: z.strictObject({
          group: z.string().optional(),
          version: z.string().optional(),
          kind: z.string(),
          name: z.string(),
        }),
        patch: z.string(),
      }),
    )
    .optional(),
});

/** Reads every YAML document of a manifest file. */
export async function readManifests(file: string): Promise<K8sObject[]> {
  const docs = parseAllDocuments(await readFile(file, 'utf8'));
  const out: K8sObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as K8sObject | null;
    if (value !== null) out.push(value);
  }
  return out;
}

/** Builds the kustomization in `dir`: its resources, patched. */
export async function buildKustomization(dir: string): Promise<K8sObject[]> {
  const raw: unknown = parse(await readFile(join(dir, 'kustomization.yaml'), 'utf8'));
  const kustomization = kustomizationSchema.parse(raw);
  const objects: K8sObject[] = [];
  for (const resource of kustomization.resources) {
    const path = join(dir, resource);
    objects.push(
      ...((await stat(path)).isDirectory() ? await buildKustomization(path) : await readManifests(path)),
    );
  }
  for (const { target, patch } of kustomization.patches ?? []) {
    const operations = z.array(patchOperation).parse(parse(patch));
    const apiVersion = target.group ? `${target.group}/${target.version}` : target.version;
    const matches = objects.filter(
      (o) =>
        o.kind === target.kind &&
        o.metadata.name === target.name &&
        (apiVersion === undefined || o.apiVersion === apiVersion),
    );
    if (matches.length !== 1)
      throw new Error(`${dir}: a patch targets ${target.kind}/${target.name}, found ${matches.length}`);
    const at = objects.indexOf(matches[0] as K8sObject);
    objects[at] = applyJsonPatch(matches[0] as K8sObject, operations);
  }
  return objects;
}

function decodePointer(pointer: string): string[] {
  if (!pointer.startsWith('/')) throw new Error(`not a JSON pointer: ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** Applies JSON 6902 operations to a copy of `document`; a path that does not resolve throws. */
export function applyJsonPatch<T>(document: T, operations: readonly PatchOperation[]): T {
  const copy = structuredClone(document) as unknown;
  for (const operation of operations) {
    const tokens = decodePointer(operation.path);
    const last = tokens.pop() as string;
    let parent: unknown = copy;
    for (const token of tokens) {
      const next = Array.isArray(parent)
        ? parent[Number(token)]
        : (parent as Record<string, unknown>)?.[token];
      if (next === undefined || next === null || typeof next !== 'object') {
        throw new Error(`${operation.op} ${operation.path}: ${token} does not exist`);
      }
      parent = next;
    }
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > parent.length) {
        throw new Error(`${operation.op} ${operation.path}: index out of range`);
      }
      if (operation.op !== 'add' && index >= parent.length) {
        throw new Error(`${operation.op} ${operation.path}: index out of range`);
      }
      if (operation.op === 'add') parent.splice(index, 0, operation.value);
      else if (operation.op === 'replace') parent[index] = operation.value;
      else parent.splice(index, 1);
      continue;
    }
    const object = parent as Record<string, unknown>;
    if (operation.op !== 'add' && !(last in object))
      throw new Error(`${operation.op} ${operation.path}: nothing there`);
    if (operation.op === 'remove') delete object[last];
    else object[last] = operation.value;
  }
  return copy as T;
}
