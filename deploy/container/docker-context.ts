/**
 * The Docker build context: every file under the context directory that `.dockerignore` does not
 * exclude, with Docker's rules: patterns in order, the last one matching wins, `!` re-includes,
 * a pattern matching a directory matches everything below it, `*` stays within one path segment,
 * `**` spans any number of them.
 * @see https://docs.docker.com/build/concepts/context/#dockerignore-files
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** One `.dockerignore` line. */
export interface IgnoreRule {
  readonly pattern: string;
  readonly negated: boolean;
  readonly regex: RegExp;
}

/** Parses `.dockerignore` text into rules (comments and blank lines dropped). */
export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    if (negated) line = line.slice(1).trim();
    const pattern = line.replace(/^\/+/, '').replace(/\/+$/, '');
    if (pattern === '') continue;
    rules.push({ pattern, negated, regex: patternToRegex(pattern) });
  }
  return rules;
}

function patternToRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] ?? '';
    if (ch === '*' && pattern[i + 1] === '*') {
      if (pattern[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Whether `rule` matches `path` itself or one of its parent directories. */
function ruleMatches(rule: IgnoreRule, path: string): boolean {
  if (rule.regex.test(path)) return true;
  for (let at = path.indexOf('/'); at >= 0; at = path.indexOf('/', at + 1)) {
    if (rule.regex.test(path.slice(0, at))) return true;
  }
  return false;
}

/** Index of the last rule matching `path`, or -1. */
function lastMatch(rules: readonly IgnoreRule[], path: string): number {
  for (let i = rules.length - 1; i >= 0; i--) if (ruleMatches(rules[i] as IgnoreRule, path)) return i;
  return -1;
}

/** Whether Docker leaves `path` (relative, `/`-separated) out of the build context. */
export function isExcluded(rules: readonly IgnoreRule[], path: string): boolean {
  const at = lastMatch(rules, path);
  return at >= 0 && !(rules[at] as IgnoreRule).negated;
}

/**
 * Lists the build context: relative paths of the files (and symbolic links) that reach the
 * builder. A directory is not walked when it is excluded by a rule that no later `!` rule
 * follows, since nothing below it can be re-included.
 */
export async function listBuildContext(dir: string, rules: readonly IgnoreRule[]): Promise<string[]> {
  const files: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(join(dir, relative), { withFileTypes: true });
    for (const entry of entries) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        const at = lastMatch(rules, path);
        const prunable =
          at >= 0 && !(rules[at] as IgnoreRule).negated && !rules.slice(at + 1).some((r) => r.negated);
        if (!prunable) await walk(path);
      } else if (!isExcluded(rules, path)) files.push(path);
    }
  };
  await walk('');
  return files.sort();
}
