/**
 * Works out an API's new scope list from `apis update` flags: `--scope` replaces the whole list,
 * `--add-scope` adds or re-describes one, `--remove-scope` drops one.
 */
import { CliUsageError } from '../errors.ts';
import type { ScopeDefinition } from '../options/parse-flags.ts';

/** The scope flags of `apis update`. */
export interface ScopeChanges {
  replace?: ScopeDefinition[];
  add?: ScopeDefinition[];
  remove?: string[];
}

/** Whether any scope flag was given. */
export function hasScopeChanges(changes: ScopeChanges): boolean {
  return changes.replace !== undefined || (changes.add?.length ?? 0) > 0 || (changes.remove?.length ?? 0) > 0;
}

/** Applies the changes to the current scopes; removing a scope the list lacks is a usage error. */
export function applyScopeChanges(
  current: readonly ScopeDefinition[],
  changes: ScopeChanges,
): ScopeDefinition[] {
  const next = (changes.replace ?? current).map((scope) => ({
    value: scope.value,
    description: scope.description,
  }));
  for (const scope of changes.add ?? []) {
    const known = next.find((existing) => existing.value === scope.value);
    if (known) {
      if (scope.description !== '') known.description = scope.description;
    } else {
      next.push({ ...scope });
    }
  }
  for (const value of changes.remove ?? []) {
    const at = next.findIndex((existing) => existing.value === value);
    if (at === -1) throw new CliUsageError(`--remove-scope ${value}: the API has no such scope`);
    next.splice(at, 1);
  }
  return next;
}
