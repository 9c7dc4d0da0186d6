import { describe, expect, it } from 'vitest';
import {
  createClientGrantId,
  createClientId,
  createRandomAlphanumeric,
  createResourceServerId,
} from './ids.ts';

describe('ids', () => {
  it('makes 32-character alphanumeric client ids that do not repeat', () => {
    const ids = new Set(Array.from({ length: 500 }, createClientId));
    expect(ids.size).toBe(500);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9]{32}$/);
  });

  it('makes 24-hex resource server ids and cgr_ client grant ids', () => {
    expect(createResourceServerId()).toMatch(/^[0-9a-f]{24}$/);
    expect(createClientGrantId()).toMatch(/^cgr_[A-Za-z0-9]{16}$/);
    expect(createResourceServerId()).not.toBe(createResourceServerId());
  });

  it('draws every alphanumeric character about equally often', () => {
    const counts = new Map<string, number>();
    for (const ch of createRandomAlphanumeric(62 * 4000)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // Expected 4000 each (sigma ~63); a plain `byte % 62` would give 8 characters ~4840 each.
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(3600);
      expect(n).toBeLessThan(4400);
    }
  });
});
