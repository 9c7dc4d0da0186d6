import { describe, expect, it } from 'vitest';
import { normalizeAddress, resolveSourceAddress } from './source-address.ts';

const node = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });

describe('source address', () => {
  it('takes the socket peer when no proxy is trusted, ignoring X-Forwarded-For', () => {
    expect(resolveSourceAddress(node('10.0.0.5'), '1.2.3.4', 0)).toBe('10.0.0.5');
  });

  it('takes the entry the trusted proxy wrote, not what the client put further left', () => {
    expect(resolveSourceAddress(node('10.0.0.5'), '6.6.6.6, 203.0.113.9', 1)).toBe('203.0.113.9');
    expect(resolveSourceAddress(node('10.0.0.5'), '6.6.6.6, 203.0.113.9, 10.0.0.2', 2)).toBe('203.0.113.9');
  });

  it("reads API Gateway's source IP on Lambda", () => {
    expect(
      resolveSourceAddress(
        { event: { requestContext: { http: { sourceIp: '198.51.100.7' } } } },
        undefined,
        0,
      ),
    ).toBe('198.51.100.7');
  });

  it('counts IPv4-mapped addresses as IPv4 and IPv6 addresses by their /64', () => {
    expect(normalizeAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(normalizeAddress('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(normalizeAddress('::1')).toBe('0:0:0:0::/64');
  });

  it('refuses what is not an address', () => {
    expect(normalizeAddress('not-an-ip')).toBeUndefined();
    expect(normalizeAddress('')).toBeUndefined();
    expect(normalizeAddress('1:2:3')).toBeUndefined();
  });
});
