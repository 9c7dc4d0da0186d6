/**
 * Contact ids are UUIDv7: a 48-bit millisecond timestamp then 74 random bits. They sort by
 * creation time (stable list order in SQLite, B-tree friendly) and cannot be guessed.
 * @see https://www.rfc-editor.org/rfc/rfc9562#section-5.7
 */
import { randomFillSync } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// The last id made in this process, so ids made within one millisecond still sort in creation
// order (RFC 9562 section 6.2, method 2: the random tail is incremented within the same ms).
let lastMs = -1;
const last = new Uint8Array(16);

/** Creates a new UUIDv7 (lowercase, hyphenated), monotonic within this process for one millisecond. */
export function createContactId(now: number = Date.now()): string {
  const b = new Uint8Array(16);
  if (now === lastMs && incrementTail(last)) {
    b.set(last);
  } else {
    randomFillSync(b, 6, 10);
    // 48-bit big-endian Unix time in milliseconds.
    let t = now;
    for (let i = 5; i >= 0; i--) {
      b[i] = t % 256;
      t = Math.floor(t / 256);
    }
    b[6] = 0x70 | (b[6]! & 0x0f); // version 7
    b[8] = 0x80 | (b[8]! & 0x3f); // variant 10
    lastMs = now;
  }
  last.set(b);
  const hex = Buffer.from(b).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Adds one to the 56 random bits after the variant byte; false when they are all ones. */
function incrementTail(b: Uint8Array): boolean {
  for (let i = 15; i >= 9; i--) {
    if (b[i] !== 0xff) {
      b[i] = b[i]! + 1;
      return true;
    }
    b[i] = 0;
  }
  return false;
}

/** Whether `value` has the shape of a contact id (any lowercase UUID); anything else cannot exist. */
export function isContactId(value: string): boolean {
  return UUID.test(value);
}
