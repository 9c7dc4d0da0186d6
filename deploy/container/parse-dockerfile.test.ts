import { describe, expect, it } from 'vitest';
import {
  DockerfileSyntaxError,
  parseCopyArgs,
  parseDockerfile,
  parseEnvArgs,
  parseExecForm,
  parseHealthcheck,
} from './parse-dockerfile.ts';

describe('parseDockerfile', () => {
  it('joins continued lines, drops comments and expands global args in FROM', () => {
    const file = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        'ARG BASE=node:20-bookworm-slim',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile syntax, not a template
        'FROM ${BASE} AS build',
        'RUN apt-get update \\',
        '  # a comment inside the continuation',
        '  && apt-get install -y make',
        'FROM $BASE',
        'CMD ["node", "x.mjs"]',
      ].join('\n'),
    );
    expect(file.globalArgs).toEqual({ BASE: 'node:20-bookworm-slim' });
    expect(file.stages.map((s) => [s.base, s.name])).toEqual([
      ['node:20-bookworm-slim', 'build'],
      ['node:20-bookworm-slim', undefined],
    ]);
    expect(file.stages[0]?.instructions[0]).toMatchObject({
      keyword: 'RUN',
      line: 4,
      args: expect.stringMatching(/^apt-get update\s+&& apt-get install -y make$/),
    });
  });

  it('refuses an instruction before the first FROM other than ARG', () => {
    expect(() => parseDockerfile('RUN true\nFROM node:20')).toThrow(DockerfileSyntaxError);
  });

  it('refuses a file that ends inside a continued line', () => {
    expect(() => parseDockerfile('FROM node:20\nRUN true \\')).toThrow(/ends inside a continued line/);
  });
});

describe('instruction arguments', () => {
  it('reads ENV pairs with quotes, and the legacy form', () => {
    expect(parseEnvArgs('A=1   B="two words" C=')).toEqual({ A: '1', B: 'two words', C: '' });
    expect(parseEnvArgs('NAME some value')).toEqual({ NAME: 'some value' });
  });

  it('tells the exec form from the shell form', () => {
    expect(parseExecForm('["node", "-e", "1"]')).toEqual(['node', '-e', '1']);
    expect(parseExecForm('node -e 1')).toBeNull();
  });

  it('reads COPY flags, sources and destination', () => {
    expect(parseCopyArgs('--from=build --chown=0:0 /app /app')).toEqual({
      from: 'build',
      chown: '0:0',
      sources: ['/app'],
      destination: '/app',
    });
    expect(() => parseCopyArgs('only-one')).toThrow(/source and a destination/);
  });

  it('reads HEALTHCHECK options and command in both forms', () => {
    expect(parseHealthcheck('--interval=30s --retries=3 CMD ["node", "-e", "x"]')).toEqual({
      options: { interval: '30s', retries: '3' },
      command: ['node', '-e', 'x'],
    });
    expect(parseHealthcheck('CMD node -e x').command).toEqual(['/bin/sh', '-c', 'node -e x']);
    expect(parseHealthcheck('NONE').command).toEqual([]);
  });
});
