// Connecting a driver or executor to the cluster's NATS servers: authentication, TLS, and the errors that say what to check.
import { connect, credsAuthenticator, errors, nkeys, type ConnectionOptions, type NatsConnection, type TlsOptions } from '@nats-io/transport-node';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { PlanError, TransportError } from '../../ops/errors.ts';

/** Client TLS for the NATS connection; file paths, read when connecting. */
export interface ClusterTls {
  /** PEM file of the CA that signed the server's certificate (needed unless a public CA signed it). */
  caFile?: string;
  /** PEM client certificate, for servers that verify clients (`verify: true`); needs keyFile. */
  certFile?: string;
  /** PEM private key of certFile. */
  keyFile?: string;
}

export interface ClusterAuth {
  /** NATS server URLs, e.g. 'nats://127.0.0.1:4222'. */
  servers: string | string[];
  /** Shared secret the server was started with (`--auth` / `authorization { token }`). Not with creds. */
  token?: string;
  /** Path of a NATS `.creds` file (user JWT + nkey seed), for servers in operator/JWT mode. Not with token. */
  creds?: string;
  /** A NATS user and password (`authorization { users: [...] }`, e.g. from `quiver nats-config`). Not with token or creds. */
  user?: string;
  pass?: string;
  /** TLS to the server. A server that requires TLS gets it even without this; this says whom to trust. */
  tls?: ClusterTls;
  /** Cluster name: the subject prefix `quiver.<cluster>.` (default 'default'). */
  cluster?: string;
}

// The block layout `nsc` and `nats` write, the same one credsAuthenticator reads.
const CREDS_BLOCK = /\s*(?:(?:-{3,}[^\n]*-{3,}\n)(.+)(?:\n\s*-{3,}[^\n]*-{3,}\n))/gi;

/** Reads and checks a .creds file up front, so a bad one is named now rather than as a vague auth failure later. */
function readCreds(file: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new PlanError(`cannot read the NATS credentials file '${file}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): pass --creds (or { creds }) the path of the user's .creds file, e.g. from 'nsc generate creds'`, { cause: e });
  }
  const text = new TextDecoder().decode(bytes);
  const blocks = [...text.matchAll(CREDS_BLOCK)].map((m) => m[1]!.trim());
  const [jwt, seed] = blocks;
  const malformed = (what: string) => new PlanError(`the NATS credentials file '${file}' is malformed: ${what}; regenerate it (nsc generate creds -a ACCOUNT -n USER) or pass the right file to --creds`);
  if (!jwt || !seed) throw malformed('expected a -----BEGIN NATS USER JWT----- block followed by a -----BEGIN USER NKEY SEED----- block');
  if (jwt.split('.').length !== 3) throw malformed('the first block is not a JWT');
  try {
    nkeys.fromSeed(new TextEncoder().encode(seed));
  } catch {
    throw malformed('the second block is not an nkey seed');
  }
  if (!seed.startsWith('SU')) throw malformed(`the seed is not a user's (it starts with '${seed.slice(0, 2)}', a user seed starts with 'SU')`);
  return bytes;
}

function checkTls(tls: ClusterTls): void {
  const files: [keyof ClusterTls, string][] = [['caFile', '--tls-ca'], ['certFile', '--tls-cert'], ['keyFile', '--tls-key']];
  for (const [k, flag] of files) {
    const f = tls[k];
    if (f !== undefined && !existsSync(f)) throw new PlanError(`the TLS file '${f}' (${flag}, or { tls: { ${k} } }) does not exist`);
  }
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new PlanError('a TLS client certificate needs its key: pass both --tls-cert and --tls-key (or { tls: { certFile, keyFile } })');
  }
}

/**
 * Certificate name check that works for servers given by IP address. nats.js sends no server
 * name for an IP URL, so node checks the certificate against 'localhost' and refuses one issued
 * for the IP (`subjectAltName = IP:10.0.0.5`). Then the certificate must name one of the IPs in
 * `servers`; a name nats.js did send is checked as usual.
 */
function serverIdentity(servers: string[]): (host: string, cert: PeerCertificate) => Error | undefined {
  const ips = servers.map((u) => {
    try {
      return new URL(u.includes('://') ? u : `nats://${u}`).hostname.replace(/^\[|\]$/g, '');
    } catch {
      return '';
    }
  }).filter((h) => isIP(h) !== 0);
  return (host, cert) => {
    const first = checkServerIdentity(host, cert);
    if (!first || host !== 'localhost') return first;
    return ips.some((ip) => checkServerIdentity(ip, cert) === undefined) ? undefined : first;
  };
}

/** What the user should check, from the connection error and the options they gave. */
function hint(e: unknown, o: ClusterAuth, servers: string[]): string {
  const msg = (e as Error).message ?? '';
  const code = String((e as { code?: unknown }).code ?? (e as { cause?: { code?: unknown } }).cause?.code ?? '');
  if (e instanceof errors.AuthorizationError || e instanceof errors.UserAuthenticationExpiredError || /authorization violation/i.test(msg)) {
    if (o.creds) return `the server refused the credentials in '${o.creds}': check that they are for a user of an account this server trusts (its operator and resolver) and have not expired`;
    if (o.token) return 'the server refused the token: pass the one it was started with to --token (or { token })';
    if (o.user) return `the server refused user '${o.user}': check --user and --password (or { user, pass }) against its authorization block`;
    return 'the server wants credentials: pass --token (or { token }), or --creds FILE (or { creds }) for a server in operator/JWT mode';
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|IP_MISMATCH/.test(code) || /certificate|self.signed|altnames/i.test(msg)) {
    return o.tls?.caFile
      ? `the server's certificate does not verify against the CA in '${o.tls.caFile}' (or does not name the host in ${servers.join(', ')}): pass the CA that signed it to --tls-ca (or { tls: { caFile } })`
      : "the server's TLS certificate is not trusted: pass the CA file that signed it to --tls-ca (or { tls: { caFile } })";
  }
  if (/tls/i.test(msg) && /not available|not support|required/i.test(msg)) {
    return 'the server and this client disagree on TLS: configure a tls block on the server, or drop the --tls-* options (or { tls })';
  }
  // A server that verifies clients drops one without a certificate after the handshake, which
  // nats.js reports only as a connect timeout.
  const mtls = o.tls && !o.tls.certFile && /timeout/i.test(msg)
    ? '; if it verifies client certificates (tls { verify: true }), pass --tls-cert and --tls-key (or { tls: { certFile, keyFile } })'
    : '';
  return `is a NATS server listening at ${servers.join(', ')}?${mtls}`;
}

/** Connects to NATS, turning bad options and failures into errors that say what to check. */
export async function connectCluster(o: ClusterAuth, name: string, inboxPrefix?: string): Promise<NatsConnection> {
  const servers = Array.isArray(o.servers) ? o.servers : [o.servers];
  if (o.token !== undefined && o.creds !== undefined) {
    throw new PlanError('both a token and a credentials file were given: pick one, --token (or { token }) for a server with a shared token, or --creds (or { creds }) for a server in operator/JWT mode');
  }
  if (o.user !== undefined && (o.token !== undefined || o.creds !== undefined)) {
    throw new PlanError('a user and a token or credentials file were given: pick one way to authenticate (--user/--password, --token or --creds)');
  }
  if ((o.user === undefined) !== (o.pass === undefined)) throw new PlanError('a NATS user needs its password: pass both --user and --password (or { user, pass })');
  const opts: ConnectionOptions = { servers, name, maxReconnectAttempts: -1, reconnectTimeWait: 500 };
  // Replies to this client's requests arrive under its own prefix (a permission can confine it there).
  if (inboxPrefix) opts.inboxPrefix = inboxPrefix;
  if (o.token !== undefined) opts.token = o.token;
  if (o.user !== undefined) { opts.user = o.user; opts.pass = o.pass; }
  if (o.creds !== undefined) {
    const creds = readCreds(o.creds);
    opts.authenticator = credsAuthenticator(creds);
  }
  if (o.tls) {
    checkTls(o.tls);
    // checkServerIdentity is not in nats.js's TlsOptions, but it passes them on to node's tls.connect.
    opts.tls = { ...o.tls, checkServerIdentity: serverIdentity(servers) } as TlsOptions;
  }
  try {
    return await connect(opts);
  } catch (e) {
    throw new TransportError(`cannot connect to NATS (${(e as Error).message}): ${hint(e, o, servers)}`, { cause: e });
  }
}
