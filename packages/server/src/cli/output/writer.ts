/**
 * Where the CLI writes: results to stdout (tables, JSON, a token), notices and warnings to stderr,
 * so `--json` output and `gatehouse token` stay clean for pipes.
 */

/** The two streams a command writes to; each call writes one block ending in a newline. */
export interface Writer {
  out(text: string): void;
  err(text: string): void;
}

const withNewline = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);

/** The process's stdout and stderr. */
export const processWriter: Writer = {
  out: (text) => {
    process.stdout.write(withNewline(text));
  },
  err: (text) => {
    process.stderr.write(withNewline(text));
  },
};

/** Writes a value as the API sent it, pretty-printed JSON. */
export function writeJson(writer: Writer, value: unknown): void {
  writer.out(JSON.stringify(value ?? null, null, 2));
}

/** The one-line warning printed beside a secret that the server will never show again. */
export function formatShownOnceWarning(what: string): string {
  return `warning: the ${what} is shown once and cannot be retrieved again; store it now (e.g. in a secret manager).`;
}
