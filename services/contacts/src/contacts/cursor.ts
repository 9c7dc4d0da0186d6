/**
 * The opaque `cursor` of `GET /contacts`: base64url of `{"v":1,"a":"<id of the last contact>"}`,
 * i.e. the store's position (for DynamoDB, the `ExclusiveStartKey` `{id}`).
 *
 * It is validated, not signed: the service holds no secret (wish 1 of DESIGN.md), and a forged
 * cursor can only move the start of a page within contacts the caller may read anyway. Anything
 * that is not exactly a cursor this service issued (bad base64url, JSON, version, or id shape) is
 * refused with 400, so store back-ends only ever see a well-formed id.
 */
import { z } from 'zod';
import { ValidationError } from '../problems/errors.ts';
import { isContactId } from './contact-id.ts';

const MAX_CURSOR_LENGTH = 256;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const cursorSchema = z.strictObject({ v: z.literal(1), a: z.string().refine(isContactId) });

/** Encodes a store position (the last id of a page) as a cursor. */
export function formatCursor(after: string): string {
  return Buffer.from(JSON.stringify({ v: 1, a: after })).toString('base64url');
}

/** Decodes a cursor into the store position; throws `ValidationError` for anything else. */
export function parseCursor(cursor: string): string {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw invalid();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const result = cursorSchema.safeParse(decoded);
  if (!result.success) throw invalid();
  // Reject non-canonical encodings (e.g. trailing bits) so one position has one cursor.
  if (formatCursor(result.data.a) !== cursor) throw invalid();
  return result.data.a;
}

function invalid(): ValidationError {
  return new ValidationError(
    [
      {
        parameter: 'cursor',
        detail: 'is not a cursor this API issued; pass back the cursor of the previous page as is',
      },
    ],
    'The cursor is not valid.',
  );
}
