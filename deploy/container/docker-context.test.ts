import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isExcluded, listBuildContext, parseDockerignore } from './docker-context.ts';

describe('.dockerignore rules', () => {
  const rules = parseDockerignore(
    ['# allow-list', '*', '!src', '**/*.test.ts', '!src/keep.test.ts', '/dist/'].join('\n'),
  );

  it('lets the last matching rule win', () => {
    expect(isExcluded(rules, 'README.md')).toBe(true);
    expect(isExcluded(rules, 'src/app.ts')).toBe(false);
    expect(isExcluded(rules, 'src/app.test.ts')).toBe(true);
    expect(isExcluded(rules, 'src/keep.test.ts')).toBe(false);
  });

  it('excludes everything below an excluded directory', () => {
    expect(isExcluded(rules, 'dist/a/b.js')).toBe(true);
    expect(isExcluded(parseDockerignore('node_modules'), 'node_modules/x/y.js')).toBe(true);
  });

  it('keeps * within one path segment and lets ** span several', () => {
    expect(isExcluded(parseDockerignore('*.log'), 'a/b.log')).toBe(false);
    expect(isExcluded(parseDockerignore('**/*.log'), 'a/b/c.log')).toBe(true);
    expect(isExcluded(parseDockerignore('**/*.log'), 'c.log')).toBe(true);
  });
});

describe('listBuildContext', () => {
  it('lists the files that reach the builder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-context-'));
    try {
      await mkdir(join(dir, 'src/node_modules/dep'), { recursive: true });
      await mkdir(join(dir, '.gatehouse'));
      await writeFile(join(dir, 'src/app.ts'), '');
      await writeFile(join(dir, 'src/node_modules/dep/index.js'), '');
      await writeFile(join(dir, '.gatehouse/kek'), '');
      await writeFile(join(dir, 'package.json'), '{}');
      const rules = parseDockerignore('*\n!package.json\n!src\n**/node_modules');
      expect(await listBuildContext(dir, rules)).toEqual(['package.json', 'src/app.ts']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
