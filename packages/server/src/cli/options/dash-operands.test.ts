import { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { acceptDashOperands } from './dash-operands.ts';

/** Parses `args` with a `revoke <kid>` command shaped like the CLI's and answers what it got. */
function parse(args: string[], accept = true): { kid: string; flags: Record<string, unknown> } {
  let got: { kid: string; flags: Record<string, unknown> } | undefined;
  const command = new Command('revoke')
    .argument('<kid>')
    .option('--json')
    .addOption(new Option('--client-secret <secret>'))
    .addOption(new Option('--note [text]'))
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} })
    .action((kid: string, flags: Record<string, unknown>) => {
      got = { kid, flags };
    });
  if (accept) acceptDashOperands(command);
  command.parse(args, { from: 'user' });
  return got!;
}

describe('acceptDashOperands', () => {
  it('takes an operand that begins with - as the operand, with options before or after it', () => {
    expect(() => parse(['-q4HjTv_j89gl'], false)).toThrow(/unknown option '-q4HjTv_j89gl'/);
    expect(parse(['-q4HjTv_j89gl'])).toEqual({ kid: '-q4HjTv_j89gl', flags: {} });
    expect(parse(['--json', '-q4Hj'])).toEqual({ kid: '-q4Hj', flags: { json: true } });
    expect(parse(['-q4Hj', '--json', '--client-secret=s'])).toEqual({
      kid: '-q4Hj',
      flags: { json: true, clientSecret: 's' },
    });
    expect(parse(['--json', '--', '-q4Hj'])).toEqual({ kid: '-q4Hj', flags: { json: true } });
  });

  it("leaves an option's value with its option, even one that begins with -", () => {
    expect(parse(['--client-secret', '-s3cret', '-kid'])).toEqual({
      kid: '-kid',
      flags: { clientSecret: '-s3cret' },
    });
    expect(parse(['--note', '-kid'])).toEqual({ kid: '-kid', flags: { note: true } });
    expect(parse(['--note', 'why', '-kid'])).toEqual({ kid: '-kid', flags: { note: 'why' } });
  });

  it('changes nothing when no operand begins with -, and still names a mistyped option as unknown', () => {
    expect(parse(['abc', '--json'])).toEqual({ kid: 'abc', flags: { json: true } });
    expect(() => parse(['abc', '--jsn'])).toThrow(/unknown option '--jsn'/);
    expect(() => parse(['--jsn', 'abc'])).toThrow(/unknown option '--jsn'/);
    expect(() => parse(['-a', '-b'])).toThrow(/unknown option '-b'/);
    expect(() => parse([])).toThrow(/missing required argument/);
  });
});
