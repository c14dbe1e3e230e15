// Which Host and Origin headers the web UI answers (its defence against DNS rebinding): loopback, the address it was bound to, and hosts the user allowed.
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { PlanError } from '../../../ops/errors.ts';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** A host as the URL parser normalises it (lower case, IPv6 in brackets, `127.1` as `127.0.0.1`) and its port ('' when none). */
interface HostPort {
  name: string;
  port: string;
}

// Only what a Host header may hold: a name or address and a port. Anything else ('user@host',
// a path) would let the URL parser read a different host than the one the client asked for.
const HOST_CHARS = /^[A-Za-z0-9.\-_:[\]]+$/;

/** `name`, `name:port`, `[v6]` or `[v6]:port`, normalised; null when `v` is not one. */
export function parseHost(v: string): HostPort | null {
  if (!HOST_CHARS.test(v)) return null;
  try {
    const u = new URL(`http://${v}`);
    return { name: u.hostname, port: u.port };
  } catch {
    return null;
  }
}

/** 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) and `localhost`. */
export function isLoopbackHost(name: string): boolean {
  if (name === 'localhost') return true;
  const ip = name.startsWith('[') ? name.slice(1, -1) : name;
  const kind = isIP(ip);
  return kind !== 0 && LOOPBACK.check(ip, kind === 4 ? 'ipv4' : 'ipv6');
}

/** Decides per request; made once per server from its bind address and the hosts the user allowed. */
export interface HostCheck {
  /** Null when a request with this Host header is answered, else why not (said to the client with 403). */
  host(header: string | undefined): string | null;
  /** Null when a request with this Origin header (absent: same-origin or not a browser) is answered, else why not. */
  origin(header: string | undefined): string | null;
}

/**
 * Requests MUST be answered only for these hosts: a page on any other origin whose name the
 * attacker re-points at this machine (DNS rebinding) would otherwise read plans and file paths.
 * `bound` is the interface the server listens on: a named one is allowed itself; a wildcard
 * (0.0.0.0, ::) allows this machine's interface addresses. `allowed` entries are `name` (any port)
 * or `name:port`; an entry that is not a host is a PlanError naming it.
 */
export function hostCheck(bound: string, allowed: readonly string[] = []): HostCheck {
  const entries = allowed.map((a) => {
    const h = parseHost(a.trim());
    if (!h) throw new PlanError(`web UI: allowed host '${a}' is not a host name or address with an optional port (e.g. 'quiver.internal' or '10.0.0.5:4040')`);
    return h;
  });
  const wildcard = bound === '0.0.0.0' || bound === '::' || bound === '';
  if (!wildcard) {
    const b = parseHost(isIP(bound) === 6 ? `[${bound}]` : bound);
    if (b) entries.push({ name: b.name, port: '' });
  }
  const isInterface = (name: string): boolean => {
    const ip = name.startsWith('[') ? name.slice(1, -1) : name;
    return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address.toLowerCase() === ip));
  };
  const ok = (h: HostPort): boolean =>
    isLoopbackHost(h.name) || entries.some((e) => e.name === h.name && (e.port === '' || e.port === h.port)) || (wildcard && isInterface(h.name));
  const howTo = (name: string): string =>
    `to allow it, start the UI with uiAllowedHosts: ['${name}'] (Quiver.local / Quiver.connect) or quiver ui --allowed-host ${name}`;
  const quote = (v: string): string => JSON.stringify(v.length > 200 ? `${v.slice(0, 200)}...` : v);

  return {
    host(header) {
      if (header === undefined || header === '') return 'request without a Host header: this UI answers only requests for loopback hosts (127.0.0.1, localhost, [::1]) or hosts it was told to allow';
      const h = parseHost(header);
      if (!h) return `Host header ${quote(header)} is not a host`;
      if (ok(h)) return null;
      return `Host ${quote(header)} is not allowed: this UI answers only requests for loopback hosts (127.0.0.1, localhost, [::1]), the address it is bound to, or hosts it was told to allow; ${howTo(h.name.replace(/^\[|\]$/g, ''))}`;
    },
    origin(header) {
      if (header === undefined) return null;
      let u: URL | null = null;
      try { u = new URL(header); } catch { /* 'null' (sandboxed frames, file: pages) and junk */ }
      const h = u && (u.protocol === 'http:' || u.protocol === 'https:') ? parseHost(u.host) : null;
      if (h && ok(h)) return null;
      return `Origin ${quote(header)} is not allowed: this UI answers pages served from loopback hosts (127.0.0.1, localhost, [::1]), the address it is bound to, or hosts it was told to allow${h ? `; ${howTo(h.name.replace(/^\[|\]$/g, ''))}` : ''}`;
    },
  };
}
