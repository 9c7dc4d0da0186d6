import { describe, expect, it } from 'vitest';
import { createContactId, isContactId } from './contact-id.ts';

describe('contact ids', () => {
  it('are RFC 9562 version 7 UUIDs carrying the creation time', () => {
    const at = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
    const id = createContactId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
    expect(isContactId(id)).toBe(true);
  });

  it('sort by creation time and do not repeat', () => {
    const ids = [1, 2, 3, 1000, 1_700_000_000_000].map((t) => createContactId(t));
    expect([...ids].sort()).toEqual(ids);
    const many = new Set(Array.from({ length: 10_000 }, () => createContactId(42)));
    expect(many.size).toBe(10_000);
  });

  it('sort in creation order even when made within one millisecond', () => {
    const ids = Array.from({ length: 1000 }, () => createContactId(1_800_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(1000);
  });

  it('recognise only lowercase hyphenated UUIDs', () => {
    expect(isContactId('0190A5A4-0000-7000-8000-000000000000')).toBe(false);
    expect(isContactId('../etc/passwd')).toBe(false);
    expect(isContactId('')).toBe(false);
  });
});
