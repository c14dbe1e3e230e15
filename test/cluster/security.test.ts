// Cluster security over real nats-servers: operator/JWT credentials, TLS, and the errors that say which option to pass.
import { encodeAccount, encodeOperator, encodeUser, fmtCreds } from '@nats-io/jwt';
import { createAccount, createOperator, createUser } from '@nats-io/nkeys';
import type { NatsConnection } from '@nats-io/transport-node';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCluster } from '../../core/cluster/connect.ts';
import { Executor } from '../../core/cluster/executor.ts';
import { Membership, type MembershipEvent } from '../../core/cluster/membership.ts';
import { driverPermissions, executorPermissions, jwtPermissions } from '../../core/cluster/nats-config.ts';
import { subjects } from '../../core/cluster/protocol.ts';
import { Quiver } from '../../core/index.ts';
import { PlanError, TransportError } from '../../core/errors.ts';
import { startNats, type NatsServer } from './nats-server.ts';

const until = async (f: () => boolean, ms = 10_000) => {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

const dir = mkdtempSync(join(tmpdir(), 'quiver-security-'));
const bin = resolve(import.meta.dirname, '../../bin/quiver.mjs');

/**
 * An operator, one account and users of it: the server config that trusts them, and a .creds
 * file per user (the first user is `tag` with no permissions set; `roles` adds users with
 * their JWT permissions).
 */
async function operatorSetup(tag: string, roles: Record<string, ReturnType<typeof jwtPermissions>> = {}): Promise<{ config: string; creds: string; roleCreds: Record<string, string> }> {
  const operator = createOperator();
  const account = createAccount();
  const user = createUser();
  const operatorJwt = await encodeOperator(`op-${tag}`, operator);
  // An account claim without limits allows nothing (no connections, no subscriptions).
  const unlimited = { limits: { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 } };
  const accountJwt = await encodeAccount(`acct-${tag}`, account, unlimited, { signer: operator });
  const userJwt = await encodeUser(`user-${tag}`, user, account);
  const creds = join(dir, `${tag}.creds`);
  writeFileSync(creds, fmtCreds(userJwt, user));
  const roleCreds: Record<string, string> = {};
  for (const [name, perm] of Object.entries(roles)) {
    const u = createUser();
    roleCreds[name] = join(dir, `${tag}-${name}.creds`);
    writeFileSync(roleCreds[name], fmtCreds(await encodeUser(name, u, account, perm), u));
  }
  // JetStream (the test server runs with -js) wants a system account in operator mode.
  const system = createAccount();
  const systemJwt = await encodeAccount(`sys-${tag}`, system, unlimited, { signer: operator });
  const config = [
    `operator: ${operatorJwt}`, `system_account: ${system.getPublicKey()}`, 'resolver: MEMORY',
    `resolver_preload: {\n  ${account.getPublicKey()}: ${accountJwt}\n  ${system.getPublicKey()}: ${systemJwt}\n}`,
  ].join('\n');
  return { creds, config, roleCreds };
}

/** Runs `quiver executor` with args; resolves once it prints that it joined, or rejects with its stderr when it exits. */
function cli(args: string[]) {
  const env = { ...process.env };
  delete env.QUIVER_TOKEN;
  delete env.QUIVER_CREDS;
  const p = spawn('node', [bin, 'executor', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  p.stdout!.on('data', (d) => { out += d; });
  p.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<{ code: number | null; err: string }>((r) => p.once('exit', (code) => r({ code, err })));
  return { p, exited, joined: () => out.includes('joined cluster') };
}

describe('cluster security: operator/JWT credentials', () => {
  let nats: NatsServer;
  let creds: string;
  let stranger: string;
  let driver: NatsConnection;
  let members: Membership;
  const events: MembershipEvent[] = [];
  beforeAll(async () => {
    const trusted = await operatorSetup('trusted');
    creds = trusted.creds;
    stranger = (await operatorSetup('stranger')).creds;
    nats = await startNats({ config: trusted.config });
    driver = await connectCluster({ servers: nats.url, creds }, 'test driver');
    members = new Membership(driver, { cluster: 'sec', timeoutMs: 5000, onEvent: (e) => events.push(e) });
  }, 20_000);
  afterAll(async () => { members?.close(); await driver?.close(); await nats?.stop(); });

  it('an executor with the user creds joins and the driver (also on creds) sees it', async () => {
    const e = await Executor.start({ servers: nats.url, creds, cluster: 'sec', name: 'with-creds', heartbeatMs: 200 });
    try {
      await until(() => members.executors().some((x) => x.id === e.id));
    } finally {
      await e.stop();
    }
  });

  it('refuses an executor without creds, or with creds of a user the server does not trust', async () => {
    const none = Executor.start({ servers: nats.url, cluster: 'sec', name: 'no-creds' });
    await expect(none).rejects.toThrow(TransportError);
    await expect(none).rejects.toThrow(/cannot connect to NATS \(.*\): the server wants credentials: .*--creds FILE/);
    const other = Executor.start({ servers: nats.url, creds: stranger, cluster: 'sec', name: 'stranger' });
    await expect(other).rejects.toThrow(/the server refused the credentials in '.*stranger\.creds'/);
    expect(members.executors().map((x) => x.name)).not.toContain('no-creds');
  });

  it('quiver executor --creds FILE joins, and leaves on SIGTERM', async () => {
    const run = cli(['--servers', nats.url, '--creds', creds, '--cluster', 'sec', '--name', 'cli-creds', '--heartbeat-ms', '200']);
    try {
      await until(() => run.joined() && members.executors().some((x) => x.name === 'cli-creds'), 20_000);
      run.p.kill('SIGTERM');
      expect((await run.exited).code).toBe(0);
      await until(() => events.some((e) => e.kind === 'left' && e.reason === 'received SIGTERM'));
    } finally {
      run.p.kill('SIGKILL');
    }
  }, 30_000);
});

describe('cluster security: operator/JWT users with per-role permissions', () => {
  const CLUSTER = 'jwt';
  let nats: NatsServer;
  let setup: Awaited<ReturnType<typeof operatorSetup>>;
  beforeAll(async () => {
    setup = await operatorSetup('roles', {
      driver: jwtPermissions(driverPermissions(CLUSTER)),
      jx: jwtPermissions(executorPermissions(CLUSTER, 'jx')),
      jy: jwtPermissions(executorPermissions(CLUSTER, 'jy')),
    });
    nats = await startNats({ config: setup.config });
  }, 20_000);
  afterAll(async () => { await nats?.stop(); });

  it('a driver and an executor on their own role creds run a job; another executor\'s creds cannot read its tasks', async () => {
    const ex = await Executor.start({ servers: nats.url, creds: setup.roleCreds.jx, cluster: CLUSTER, name: 'jx', workers: 1, heartbeatMs: 200, log: () => {} });
    const q = await Quiver.connect({ servers: nats.url, creds: setup.roleCreds.driver, cluster: CLUSTER, quiet: true, ui: false });
    const spy = await connectCluster({ servers: nats.url, creds: setup.roleCreds.jy }, 'spy');
    try {
      let sniffed = 0;
      let refused = '';
      spy.subscribe(subjects(CLUSTER).task(ex.id), { callback: (err) => { if (err) refused = err.message; else sniffed++; } });
      await spy.flush();
      expect(await q.createDataFrame(Array.from({ length: 1000 }, (_, i) => ({ x: i })), { partitions: 4 }).count()).toBe(1000);
      expect(sniffed).toBe(0);
      await until(() => refused !== '');
      expect(refused).toMatch(/[Pp]ermissions? [Vv]iolation/);
    } finally {
      await spy.close();
      await q.close();
      await ex.stop();
    }
  }, 60_000);
});

describe('cluster security: TLS', () => {
  let nats: NatsServer;
  let mutual: NatsServer; // verifies clients' certificates
  let ca: string;
  beforeAll(async () => {
    // A throwaway CA and a server certificate it signs, valid for the loopback address the test dials.
    const f = (n: string) => join(dir, n);
    const ssl = (...a: string[]) => execFileSync('openssl', a, { stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    ssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=quiver test CA');
    ssl('req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1');
    writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '1', '-extfile', f('san.ext'));
    ssl('req', ...ec, '-keyout', f('client.key'), '-out', f('client.csr'), '-subj', '/CN=quiver executor');
    ssl('x509', '-req', '-in', f('client.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('client.pem'), '-days', '1');
    ca = f('ca.pem');
    const tls = (extra: string) => `tls {\n  cert_file: "${f('server.pem')}"\n  key_file: "${f('server.key')}"\n${extra}}\n`;
    nats = await startNats({ token: 'tls-token', config: tls('') });
    mutual = await startNats({ token: 'tls-token', config: tls(`  ca_file: "${ca}"\n  verify: true\n`) });
  }, 20_000);
  afterAll(async () => { await nats?.stop(); await mutual?.stop(); });

  it('an executor that trusts the CA joins over TLS', async () => {
    const driver = await connectCluster({ servers: nats.url, token: 'tls-token', tls: { caFile: ca } }, 'test driver');
    const members = new Membership(driver, { cluster: 'tls', timeoutMs: 5000 });
    const e = await Executor.start({ servers: nats.url, token: 'tls-token', tls: { caFile: ca }, cluster: 'tls', name: 'tls-exec', heartbeatMs: 200 });
    try {
      await until(() => members.executors().some((x) => x.id === e.id));
      expect(driver.info?.tls_required).toBe(true);
    } finally {
      await e.stop();
      members.close();
      await driver.close();
    }
  });

  it('an executor without the CA is refused with an error naming the CA option', async () => {
    const e = Executor.start({ servers: nats.url, token: 'tls-token', cluster: 'tls', name: 'no-ca' });
    await expect(e).rejects.toThrow(TransportError);
    await expect(e).rejects.toThrow(/TLS certificate is not trusted: pass the CA file that signed it to --tls-ca \(or \{ tls: \{ caFile \} \}\)/);
  });

  it('a server that verifies clients admits one that presents a certificate (certFile, keyFile)', async () => {
    const tls = { caFile: ca, certFile: join(dir, 'client.pem'), keyFile: join(dir, 'client.key') };
    const e = await Executor.start({ servers: mutual.url, token: 'tls-token', tls, cluster: 'mtls', name: 'mtls-exec' });
    await e.stop();
    // Without a client certificate the server drops the connection after the handshake, which
    // nats.js reports only at its 20 s connect timeout; that refusal is not waited for here.
  });

  it('TLS options against a server without TLS say what disagrees', async () => {
    const plain = await startNats();
    try {
      await expect(Executor.start({ servers: plain.url, tls: { caFile: ca } }))
        .rejects.toThrow(/the server and this client disagree on TLS: configure a tls block on the server, or drop the --tls-\* options/);
    } finally {
      await plain.stop();
    }
  });

  it('a CA file that does not exist is named', async () => {
    await expect(Executor.start({ servers: nats.url, token: 'tls-token', tls: { caFile: join(dir, 'nope.pem') } }))
      .rejects.toThrow(/the TLS file '.*nope\.pem' \(--tls-ca, or \{ tls: \{ caFile \} \}\) does not exist/);
  });
});

describe('cluster security: bad options', () => {
  // No server is needed: these fail before connecting (the port is never dialed).
  const servers = 'nats://127.0.0.1:1';

  it('refuses a token and creds together, saying to pick one', async () => {
    const both = connectCluster({ servers, token: 't', creds: join(dir, 'x.creds') }, 'test');
    await expect(both).rejects.toThrow(PlanError);
    await expect(both).rejects.toThrow(/both a token and a credentials file were given: pick one/);
  });

  it('names a missing creds file and what to pass', async () => {
    await expect(connectCluster({ servers, creds: join(dir, 'missing.creds') }, 'test'))
      .rejects.toThrow(/cannot read the NATS credentials file '.*missing\.creds' \(ENOENT\): pass --creds/);
  });

  it('names a malformed creds file and says how to regenerate it', async () => {
    const bad = join(dir, 'bad.creds');
    writeFileSync(bad, 'this is not a creds file\n');
    await expect(connectCluster({ servers, creds: bad }, 'test'))
      .rejects.toThrow(/the NATS credentials file '.*bad\.creds' is malformed: expected a -----BEGIN NATS USER JWT----- block.*nsc generate creds/);
  });

  it('quiver executor --creds with a missing file exits 1 with one line naming it', async () => {
    const run = cli(['--servers', servers, '--creds', join(dir, 'missing.creds')]);
    const { code, err } = await run.exited;
    expect(code).toBe(1);
    expect(err.trim()).toMatch(/^quiver: cannot read the NATS credentials file '.*missing\.creds' \(ENOENT\)/);
  }, 20_000);
});
