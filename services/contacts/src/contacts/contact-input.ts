/**
 * Parses untrusted contact bodies. Rules (also in services/contacts/README.md):
 * - `name`: a string; surrounding whitespace is trimmed and the trimmed value is stored; it must
 *   then hold 1 to 200 Unicode code points, no control characters (U+0000-U+001F, U+007F-U+009F)
 *   and no unpaired surrogates (they could not be stored as UTF-8 without changing).
 * - `checked`: a JSON boolean (no "true" strings, no 0/1); optional on create (default false),
 *   required on replace (PUT is a full replacement).
 * - Any other member is refused; `id`, `createdAt`, `updatedAt` are named as read-only.
 */
import { z } from 'zod';
import { type FieldProblem, ValidationError } from '../problems/errors.ts';
import { type ContactFields, MAX_NAME_LENGTH } from './contact.ts';

const CONTROL = /\p{Cc}/u; // U+0000-U+001F and U+007F-U+009F
const LONE_SURROGATE = /\p{Cs}/u;
const READ_ONLY = new Set(['id', 'createdAt', 'updatedAt']);

const nameSchema = z
  .string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') })
  .trim()
  .superRefine((value, ctx) => {
    let problem: string | undefined;
    if (value.length === 0) problem = 'must not be empty or only whitespace';
    else if (LONE_SURROGATE.test(value)) problem = 'must be valid Unicode (it holds an unpaired surrogate)';
    else if (CONTROL.test(value)) problem = 'must not contain control characters';
    else if (codePointLength(value) > MAX_NAME_LENGTH)
      problem = `must be at most ${MAX_NAME_LENGTH} characters`;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

function checkedSchema() {
  return z.boolean({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be true or false') });
}

const newContactSchema = z.strictObject({ name: nameSchema, checked: checkedSchema().default(false) });
const replacementSchema = z.strictObject({ name: nameSchema, checked: checkedSchema() });

/** Parses the body of `POST /contacts`; throws `ValidationError` listing every field problem. */
export function parseNewContact(body: unknown): ContactFields {
  return parseWith(newContactSchema, body);
}

/** Parses the body of `PUT /contacts/{id}` (both fields required); throws `ValidationError`. */
export function parseContactReplacement(body: unknown): ContactFields {
  return parseWith(replacementSchema, body);
}

function parseWith(schema: z.ZodType<ContactFields>, body: unknown): ContactFields {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw new ValidationError(toFieldProblems(result.error.issues));
}

function toFieldProblems(issues: readonly z.core.$ZodIssue[]): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({
          pointer: toPointer([...issue.path, key]),
          detail: READ_ONLY.has(key)
            ? 'is set by the service and cannot be written'
            : 'is not a field of a contact',
        });
      }
    } else if (issue.path.length === 0) {
      out.push({ pointer: '#', detail: 'must be a JSON object' });
    } else {
      out.push({ pointer: toPointer(issue.path), detail: issue.message });
    }
  }
  return out;
}

/** JSON Pointer in URI fragment form. @see https://www.rfc-editor.org/rfc/rfc6901#section-6 */
function toPointer(path: ReadonlyArray<PropertyKey>): string {
  let out = '#';
  for (const segment of path) {
    const token = String(segment).replaceAll('~', '~0').replaceAll('/', '~1');
    out += `/${encodeURIComponent(token)}`;
  }
  return out;
}

function codePointLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}
