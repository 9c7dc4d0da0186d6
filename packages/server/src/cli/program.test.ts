import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseCliEnvironment } from './config.ts';
import { createProgram } from './program.ts';

function createCapturingProgram() {
  const out: string[] = [];
  const err: string[] = [];
  const program = createProgram({
    writer: { out: (text) => out.push(text), err: (text) => err.push(text) },
    env: parseCliEnvironment({}),
    serverEnv: () => ({}),
  });
  return { program, out, err };
}

function leaves(command: Command, path: string[] = []): [string[], Command][] {
  const visible = command.commands.filter((sub) => sub.name() !== 'help');
  if (visible.length === 0) return [[path, command]];
  return visible.flatMap((sub) => leaves(sub, [...path, sub.name()]));
}

describe('createProgram', () => {
  it('has every command the issue lists', () => {
    const { program } = createCapturingProgram();
    const names = leaves(program).map(([path]) => path.join(' '));
    expect(names).toEqual([
      'serve',
      'apis create',
      'apis list',
      'apis get',
      'apis update',
      'apis delete',
      'clients create',
      'clients list',
      'clients get',
      'clients update',
      'clients delete',
      'clients rotate-secret',
      'clients credentials add',
      'clients credentials add-federated',
      'clients credentials list',
      'clients credentials delete',
      'grants create',
      'grants list',
      'grants update',
      'grants delete',
      'import auth0',
      'keys list',
      'keys rotate',
      'keys revoke',
      'logs list',
      'logs get',
      'stats tokens',
      'store init',
      'store migrate',
      'token',
    ]);
  });

  it('gives every command help with at least one example', async () => {
    for (const [path] of leaves(createCapturingProgram().program)) {
      const { program, out } = createCapturingProgram();
      await expect(program.parseAsync([...path, '--help'], { from: 'user' })).rejects.toMatchObject({
        code: 'commander.helpDisplayed',
      });
      const help = out.join('\n');
      expect(help, path.join(' ')).toContain(`Usage: gatehouse ${path.join(' ')}`);
      expect(help, path.join(' ')).toMatch(/Examples?:\n {2}\$ gatehouse /);
    }
  });

  it('shows admin connection flags with their variables on admin commands only', async () => {
    const { program, out } = createCapturingProgram();
    await program.parseAsync(['clients', 'create', '--help'], { from: 'user' }).catch(() => {});
    expect(out.join('\n')).toContain('GATEHOUSE_ADMIN_CLIENT_SECRET');
    const token = createCapturingProgram();
    await token.program.parseAsync(['token', '--help'], { from: 'user' }).catch(() => {});
    expect(token.out.join('\n')).not.toContain('GATEHOUSE_ADMIN_CLIENT_SECRET');
  });

  it('reports a bad flag value as a usage error without running anything', async () => {
    const { program, err } = createCapturingProgram();
    await expect(
      program.parseAsync(
        ['apis', 'create', '--identifier', 'x', '--name', 'y', '--token-lifetime', '999999'],
        {
          from: 'user',
        },
      ),
    ).rejects.toMatchObject({ code: 'commander.invalidArgument', exitCode: 1 });
    expect(err.join('\n')).toContain("option '--token-lifetime <seconds>' argument '999999' is invalid");
  });
});
