/**
 * The address a request comes from, for the rate limits: the socket's peer (Node) or the source IP
 * API Gateway reports (Lambda), unless `trustProxyHops` proxies stand in front, in which case the
 * address that many hops back in `X-Forwarded-For` (the rightmost entries are the ones our own
 * proxies wrote; anything further left is the client's word and is not trusted).
 * IPv6 addresses count by their /64 prefix: one host usually holds a whole /64.
 * @see https://www.rfc-editor.org/rfc/rfc7239#section-8.1
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/app-env.ts';

/** The runtime bindings this reads, when present (Node adapter, AWS Lambda adapter). */
interface RuntimeBindings {
  incoming?: { socket?: { remoteAddress?: string | undefined } };
  event?: { requestContext?: { http?: { sourceIp?: string }; identity?: { sourceIp?: string } } };
}

/** The address as the limits count it: IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 as its /64. */
export function normalizeAddress(raw: string): string | undefined {
  const address = raw.trim();
  if (address === '' || address.length > 64) return undefined;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return address;
  const mapped = /^::ffff:(\d{1,3}(\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1];
  if (!/^[0-9a-f:]+(%[\w.-]+)?$/i.test(address) || !address.includes(':')) return undefined;
  const bare = address.split('%')[0]!;
  const [head, tail] = bare.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  if (groups.length !== 8) return undefined;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** The peer address the runtime reports, or undefined. */
function peerAddress(env: unknown): string | undefined {
  if (typeof env !== 'object' || env === null) return undefined;
  const b = env as RuntimeBindings;
  return (
    b.incoming?.socket?.remoteAddress ??
    b.event?.requestContext?.http?.sourceIp ??
    b.event?.requestContext?.identity?.sourceIp
  );
}

/** The source address of a request, honouring `trustProxyHops` entries of `X-Forwarded-For`. */
export function resolveSourceAddress(
  env: unknown,
  forwardedFor: string | undefined,
  trustProxyHops: number,
): string | undefined {
  if (trustProxyHops > 0 && forwardedFor !== undefined) {
    const hops = forwardedFor.split(',');
    const chosen = hops[hops.length - trustProxyHops];
    if (chosen !== undefined) return normalizeAddress(chosen);
  }
  const peer = peerAddress(env);
  return peer === undefined ? undefined : normalizeAddress(peer);
}

/** Middleware setting `c.var.sourceAddress` for the routes that authenticate clients. */
export function createSourceAddressMiddleware(trustProxyHops: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const forwarded = trustProxyHops > 0 ? c.req.header('x-forwarded-for') : undefined;
    const address = resolveSourceAddress(c.env, forwarded, trustProxyHops);
    if (address !== undefined) c.set('sourceAddress', address);
    await next();
  };
}
