/**
 * Turns one API object into `label  value` lines: the fields a reader looks for first, in a fixed
 * order, then every other plain field the server sent, so new fields show up without a CLI change.
 */
import { formatDetails } from './table.ts';

function isPlain(value: unknown): boolean {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return true;
  return Array.isArray(value) && value.every((item) => typeof item === 'string' || typeof item === 'number');
}

/** Which fields go first, last, or nowhere. */
export interface RecordLayout {
  first: readonly string[];
  last?: readonly string[];
  omit?: readonly string[];
}

/** Formats `record` as aligned details: `first` fields in order, the other plain fields, then `last`. */
export function formatRecord(record: Record<string, unknown>, layout: RecordLayout): string {
  const { first, last = [], omit = [] } = layout;
  const entries: [string, unknown][] = [];
  const place = (key: string) => {
    if (key in record && !omit.includes(key)) entries.push([key, record[key]]);
  };
  first.forEach(place);
  for (const [key, value] of Object.entries(record)) {
    if (first.includes(key) || last.includes(key) || omit.includes(key) || !isPlain(value)) continue;
    entries.push([key, value]);
  }
  last.forEach(place);
  return formatDetails(entries);
}
