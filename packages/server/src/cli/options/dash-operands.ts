/**
 * Lets a command take an operand that begins with `-`. A signing key's kid is its RFC 7638
 * thumbprint in base64url, so one kid in 64 begins with `-`, and commander would read
 * `gatehouse keys revoke -q4Hj…` as an unknown option. `--` still works as usual.
 */
import type { Command, Option } from 'commander';

const names = (option: Option, flag: string): boolean => option.short === flag || option.long === flag;

/** True when `arg` names one of `command`'s own options or its help option (`--x=value` included). */
function isOwnOption(command: Command, arg: string): boolean {
  const flag = arg.startsWith('--') ? arg.split('=', 1)[0]! : arg;
  if (flag === '-h' || flag === '--help') return true;
  return command.options.some((option) => names(option, flag));
}

/** True when commander takes `next` as the value of option `flag` (an optional value never begins with `-`). */
function takesAsValue(command: Command, flag: string, next: string | undefined): boolean {
  const option = command.options.find((o) => names(o, flag));
  if (option === undefined || next === undefined) return false;
  return option.required || (option.optional && !next.startsWith('-'));
}

/**
 * For a leaf command whose operands may begin with `-`: an argument that begins with `-` but is not
 * one of the command's options is taken as an operand while the command still has an operand slot
 * free (`revoke -q4Hj…`); past that it is left to commander, which names it as an unknown option
 * (`revoke kid --jsn`). The operands then move, in order, behind a `--`, so the options around them
 * keep working. An option's value (`--client-secret -x`) stays with its option.
 */
export function acceptDashOperands(command: Command): Command {
  const parseOptions = command.parseOptions.bind(command);
  command.parseOptions = (args: string[]) => {
    const end = args.indexOf('--');
    const head = end === -1 ? args : args.slice(0, end);
    const tail = end === -1 ? [] : args.slice(end + 1);
    const options: string[] = [];
    const operands: Array<{ arg: string; dash: boolean }> = [];
    for (let i = 0; i < head.length; i++) {
      const arg = head[i]!;
      if (arg.length < 2 || arg[0] !== '-') operands.push({ arg, dash: false });
      else if (!isOwnOption(command, arg)) operands.push({ arg, dash: true });
      else {
        options.push(arg);
        if (!arg.includes('=') && takesAsValue(command, arg, head[i + 1])) options.push(head[++i]!);
      }
    }
    const plain = operands.filter((o) => !o.dash).length;
    let free = command.registeredArguments.length - tail.length - plain;
    const taken = operands.filter((o) => !o.dash || free-- > 0);
    if (taken.length === plain) return parseOptions(args);
    // what is left of the dash arguments stays an option for commander to refuse by name
    const unknown = operands.filter((o) => !taken.includes(o)).map((o) => o.arg);
    return parseOptions([...options, ...unknown, '--', ...taken.map((o) => o.arg), ...tail]);
  };
  return command;
}
