/**
 * Where an audited request came from: the exact source address (the socket's peer on Node, the
 * source IP API Gateway reports on Lambda, or, behind `trustProxyHops` proxies, that many entries
 * back in `X-Forwarded-For`) and the user agent. Unlike the rate limits (limits/source-address.ts),
 * an IPv6 address is kept whole: the audit log names the host, not its /64.
 * @see https://www.rfc-editor.org/rfc/rfc7239#section-8.1
 */
import type { Context } from 'hono';

/** The runtime bindings read, when present (Node adapter, AWS Lambda adapter). */
interface RuntimeBindings {
  incoming?: { socket?: { remoteAddress?: unknown } };
  event?: { requestContext?: { http?: { sourceIp?: unknown }; identity?: { sourceIp?: unknown } } };
}

const ADDRESS = /^[0-9A-Fa-f.:]{2,45}$/;
const MAX_USER_AGENT = 256;

/** An IP address as text, or null when `raw` is not one. */
function toAddress(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const address = raw.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  return ADDRESS.test(address) ? address : null;
}

/** The request's source address and user agent, for an audit event. */
export function readRequestOrigin(
  c: Context,
  trustProxyHops: number,
): { ip: string | null; userAgent: string | null } {
  let ip: string | null = null;
  const forwarded = trustProxyHops > 0 ? c.req.header('x-forwarded-for') : undefined;
  if (forwarded !== undefined) {
    const hops = forwarded.split(',');
    ip = toAddress(hops[hops.length - trustProxyHops]);
  }
  if (ip === null && typeof c.env === 'object' && c.env !== null) {
    const b = c.env as RuntimeBindings;
    ip =
      toAddress(b.incoming?.socket?.remoteAddress) ??
      toAddress(b.event?.requestContext?.http?.sourceIp) ??
      toAddress(b.event?.requestContext?.identity?.sourceIp);
  }
  const agent = c.req.header('user-agent');
  // Control characters would let a caller forge lines in a terminal that shows the log.
  const userAgent = agent === undefined ? null : withoutControlCharacters(agent).slice(0, MAX_USER_AGENT);
  return { ip, userAgent };
}

/** `text` without C0 control characters and DEL. */
function withoutControlCharacters(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if (code >= 0x20 && code !== 0x7f) out += ch;
  }
  return out;
}
