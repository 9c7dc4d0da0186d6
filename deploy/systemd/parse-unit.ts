/**
 * A systemd unit file parser: sections, `Key=value` settings (a key may repeat: every value is
 * kept, empty ones included, so `CapabilityBoundingSet=` shows), `#`/`;` comments and `\`
 * continuations.
 * @see https://www.freedesktop.org/software/systemd/man/latest/systemd.syntax.html
 */

/** Settings of a unit, by section then key; every value of a repeated key, in order. */
export type SystemdUnit = Record<string, Record<string, string[]>>;

/** Parses unit file text. */
export function parseUnit(text: string): SystemdUnit {
  const unit: SystemdUnit = {};
  let section: Record<string, string[]> | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length)
      line = `${line.slice(0, -1)} ${(lines[++i] ?? '').trim()}`;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      const name = header[1] ?? '';
      section = unit[name] ?? {};
      unit[name] = section;
      continue;
    }
    const at = line.indexOf('=');
    if (section === undefined || at < 1) throw new Error(`unit file line ${i + 1}: cannot read "${line}"`);
    const key = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    const values = section[key] ?? [];
    values.push(value);
    section[key] = values;
  }
  return unit;
}

/** The last value of a setting, or undefined. */
export function unitSetting(unit: SystemdUnit, section: string, key: string): string | undefined {
  return unit[section]?.[key]?.at(-1);
}

/** `Environment=` assignments as a record, with `%S` (state root) expanded. */
export function unitEnvironment(unit: SystemdUnit, stateRoot = '/var/lib'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const assignment of unit.Service?.Environment ?? []) {
    for (const match of assignment.matchAll(/"([^"]*)"|(\S+)/g)) {
      const pair = match[1] ?? match[2] ?? '';
      const at = pair.indexOf('=');
      if (at > 0) env[pair.slice(0, at)] = pair.slice(at + 1).replaceAll('%S', stateRoot);
    }
  }
  return env;
}
