/**
 * A Dockerfile parser for the few forms gatehouse's Dockerfile uses: comments, line continuations,
 * global `ARG`s before the first `FROM`, `${VAR}` in `FROM`, named stages, exec (JSON) and shell
 * forms. Enough to check the recipe's invariants and replay it; not a BuildKit replacement.
 * @see https://docs.docker.com/reference/dockerfile/
 */

/** One instruction: upper-case keyword, raw arguments, 1-based line where it starts. */
export interface DockerInstruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

/** One build stage: `FROM <base> [AS <name>]` and what follows until the next `FROM`. */
export interface DockerStage {
  readonly base: string;
  readonly name: string | undefined;
  readonly instructions: readonly DockerInstruction[];
}

/** A parsed Dockerfile. */
export interface Dockerfile {
  /** `ARG`s declared before the first `FROM`, with their defaults. */
  readonly globalArgs: Readonly<Record<string, string>>;
  readonly stages: readonly DockerStage[];
}

/** Raised for text this parser does not understand; names the line. */
export class DockerfileSyntaxError extends Error {
  readonly code = 'ERR_DOCKERFILE_SYNTAX';
  constructor(line: number, message: string) {
    super(`Dockerfile line ${line}: ${message}`);
    this.name = 'DockerfileSyntaxError';
  }
}

/** Splits the text into instructions, joining continuation lines and dropping comments. */
function readInstructions(text: string): DockerInstruction[] {
  const out: DockerInstruction[] = [];
  const lines = text.split(/\r?\n/);
  let buffer = '';
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const trimmed = raw.trim();
    // Comment lines are dropped, even inside a continued instruction (as BuildKit does).
    if (trimmed.startsWith('#') || (trimmed === '' && buffer === '')) continue;
    if (buffer === '') start = i + 1;
    const continued = /\\\s*$/.test(raw);
    buffer += `${continued ? raw.replace(/\\\s*$/, '') : raw} `;
    if (continued) continue;
    const match = /^\s*([A-Za-z]+)\s+([\s\S]*?)\s*$/.exec(buffer);
    if (!match) throw new DockerfileSyntaxError(start, `cannot read "${buffer.trim()}"`);
    out.push({ keyword: (match[1] ?? '').toUpperCase(), args: match[2] ?? '', line: start });
    buffer = '';
  }
  if (buffer !== '') throw new DockerfileSyntaxError(start, 'the file ends inside a continued line');
  return out;
}

/** Replaces `${NAME}` and `$NAME` with values from `vars`; unknown names stay as they are. */
export function expandVariables(value: string, vars: Readonly<Record<string, string>>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (all, a, b) => {
    const name = (a ?? b) as string;
    return vars[name] ?? all;
  });
}

/** Parses Dockerfile text into global args and stages. */
export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: { base: string; name: string | undefined; instructions: DockerInstruction[] }[] = [];
  for (const instruction of readInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new DockerfileSyntaxError(instruction.line, `cannot read FROM ${instruction.args}`);
      stages.push({
        base: expandVariables(match[1] ?? '', globalArgs),
        name: match[2],
        instructions: [],
      });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) {
      if (instruction.keyword !== 'ARG') {
        throw new DockerfileSyntaxError(instruction.line, `${instruction.keyword} before the first FROM`);
      }
      const [name, value] = splitAssignment(instruction.args);
      globalArgs[name] = value ?? '';
      continue;
    }
    stage.instructions.push(instruction);
  }
  return { globalArgs, stages };
}

function splitAssignment(text: string): [string, string | undefined] {
  const at = text.indexOf('=');
  return at < 0 ? [text.trim(), undefined] : [text.slice(0, at).trim(), unquote(text.slice(at + 1).trim())];
}

function unquote(value: string): string {
  return /^"[\s\S]*"$|^'[\s\S]*'$/.test(value) ? value.slice(1, -1) : value;
}

/** `ENV a=1 b="two words"` (or the legacy `ENV a 1`) as a record. */
export function parseEnvArgs(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  const legacy = /^([A-Za-z_][A-Za-z0-9_]*)\s+([^=]*)$/.exec(args);
  if (legacy) {
    out[legacy[1] ?? ''] = legacy[2] ?? '';
    return out;
  }
  const pair = /([A-Za-z_][A-Za-z0-9_.-]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (const match of args.matchAll(pair)) out[match[1] ?? ''] = unquote(match[2] ?? '');
  return out;
}

/** The exec (JSON array) form of `CMD`, `RUN`, `ENTRYPOINT`, `VOLUME`; null for the shell form. */
export function parseExecForm(args: string): string[] | null {
  if (!args.trimStart().startsWith('[')) return null;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) return null;
  return parsed;
}

/** A `COPY` (or `ADD`): its flags, sources and destination. */
export interface CopyArgs {
  readonly from: string | undefined;
  readonly chown: string | undefined;
  readonly sources: readonly string[];
  readonly destination: string;
}

/** Reads `COPY [--from=x] [--chown=u:g] <src>... <dest>`. */
export function parseCopyArgs(args: string): CopyArgs {
  const words = args.split(/\s+/).filter((w) => w !== '');
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith('--')) {
    const [flag, value] = splitAssignment((words.shift() ?? '').slice(2));
    flags[flag] = value ?? '';
  }
  const destination = words.pop();
  if (destination === undefined || words.length === 0) {
    throw new Error(`COPY needs a source and a destination: ${args}`);
  }
  return { from: flags.from, chown: flags.chown, sources: words, destination };
}

/** A `HEALTHCHECK`: its options and command (exec form words, or `['/bin/sh', '-c', text]`). */
export interface Healthcheck {
  readonly options: Readonly<Record<string, string>>;
  readonly command: readonly string[];
}

/** Reads `HEALTHCHECK [--opt=v]... CMD <command>`; `HEALTHCHECK NONE` gives an empty command. */
export function parseHealthcheck(args: string): Healthcheck {
  const options: Record<string, string> = {};
  let rest = args.trim();
  for (let match = /^--([a-z-]+)=(\S+)\s+/.exec(rest); match; match = /^--([a-z-]+)=(\S+)\s+/.exec(rest)) {
    options[match[1] ?? ''] = match[2] ?? '';
    rest = rest.slice(match[0].length);
  }
  if (/^NONE$/i.test(rest)) return { options, command: [] };
  const cmd = /^CMD\s+([\s\S]+)$/i.exec(rest);
  if (!cmd) throw new Error(`HEALTHCHECK needs CMD: ${args}`);
  const text = cmd[1] ?? '';
  return { options, command: parseExecForm(text) ?? ['/bin/sh', '-c', text] };
}

/** The instructions of `stage` with `keyword`. */
export function instructionsOf(stage: DockerStage, keyword: string): DockerInstruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}
