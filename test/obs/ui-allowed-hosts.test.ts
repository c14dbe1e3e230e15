// The web UI answers only requests for loopback, its bound address and allowed hosts (DNS rebinding), refuses foreign origins, and answers bad %-escapes with 400.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { hostCheck } from '../../core/obs/ui/allowed-hosts.ts';
import { startUiServer, type UiServer, type UiSource } from '../../core/obs/ui/server.ts';
import { applyEvent, emptyState } from '../../core/obs/state.ts';

const bin = resolve(import.meta.dirname, '../../bin/quiver.mjs');

/** One GET to `127.0.0.1:port` (or `connect`) with the Host and other headers given, as a browser or a script would send it. */
function raw(port: number, path: string, headers: Record<string, string>, connect = '127.0.0.1'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((res, rej) => {
    const r = request({ host: connect, port, path, headers, agent: false }, (m) => {
      let body = '';
      m.setEncoding('utf8');
      // An event stream never ends: its first chunk is enough.
      m.on('data', (d) => { body += d; if (m.headers['content-type'] === 'text/event-stream') m.destroy(); });
      const done = (): void => res({ status: m.statusCode!, type: m.headers['content-type'] ?? '', body });
      m.on('end', done);
      m.on('close', done);
    });
    r.on('error', rej);
    r.end();
  });
}

const state = emptyState();
applyEvent(state, { kind: 'jobStart', ts: 1000, jobId: 0, stages: [{ id: 0, partitions: 1, parents: [], output: 'result' }] });
applyEvent(state, { kind: 'jobPlan', ts: 1001, jobId: 0, logical: "Scan csv '/home/me/secret/people.csv'", optimized: '', physical: '', stages: [] });
const source: UiSource = { apps: () => [{ id: 'live', name: 'test', live: true, state }], subscribe: () => () => {}, now: () => 2000 };

describe('web UI: which hosts it answers', () => {
  let ui: UiServer;
  beforeAll(async () => { ui = await startUiServer(source, { port: 0 }); });
  afterAll(async () => { await ui.close(); });

  it('refuses a request addressed to any other host with 403 that says how to allow it, and serves nothing of the state', async () => {
    for (const path of ['/api/apps/live/state', '/api/apps', '/', '/api/stream', '/metrics']) {
      const r = await raw(ui.port, path, { host: 'evil.example' });
      expect([path, r.status, r.type]).toEqual([path, 403, 'text/plain; charset=utf-8']);
      expect(r.body).toContain('Host "evil.example" is not allowed');
      expect(r.body).toContain("uiAllowedHosts: ['evil.example']");
      expect(r.body).toContain('quiver ui --allowed-host evil.example');
      expect(r.body).not.toContain('secret');
    }
    expect((await raw(ui.port, '/api/apps/live/state', { host: `evil.example:${ui.port}` })).status).toBe(403);
    // A name that merely starts like a loopback address is not one.
    expect((await raw(ui.port, '/api/apps/live/state', { host: '127.0.0.1.evil.example' })).status).toBe(403);
    expect((await raw(ui.port, '/api/apps/live/state', { host: 'localhost.evil.example' })).status).toBe(403);
    // Userinfo in a Host header is not a way round the check.
    expect((await raw(ui.port, '/api/apps/live/state', { host: 'evil.example@127.0.0.1' })).status).toBe(403);
  });

  it('answers loopback hosts, with or without the port, and still refuses a foreign one', async () => {
    for (const host of [`127.0.0.1:${ui.port}`, '127.0.0.1', `localhost:${ui.port}`, 'localhost', `LocalHost:${ui.port}`, `127.8.9.10:${ui.port}`, `[::1]:${ui.port}`]) {
      const r = await raw(ui.port, '/api/apps/live/state', { host });
      expect([host, r.status]).toEqual([host, 200]);
      expect(JSON.parse(r.body).jobs[0].plan.logical).toContain('/home/me/secret/people.csv');
    }
    expect((await raw(ui.port, '/api/apps/live/state', { host: `example.com:${ui.port}` })).status).toBe(403);
  });

  it('refuses the event stream and the API to a page on a foreign origin, and answers its own', async () => {
    const own = { host: `127.0.0.1:${ui.port}` };
    for (const path of ['/api/stream', '/api/apps', '/api/apps/live/state']) {
      const r = await raw(ui.port, path, { ...own, origin: 'http://evil.example' });
      expect([path, r.status]).toEqual([path, 403]);
      expect(r.body).toContain('Origin "http://evil.example" is not allowed');
      expect((await raw(ui.port, path, { ...own, origin: 'null' })).status).toBe(403);
      expect((await raw(ui.port, path, { ...own, origin: `http://127.0.0.1:${ui.port}` })).status).toBe(200);
      expect((await raw(ui.port, path, { ...own, origin: `http://localhost:${ui.port}` })).status).toBe(200);
    }
    const stream = await raw(ui.port, '/api/stream', { ...own, origin: `http://127.0.0.1:${ui.port}` });
    expect(stream.body).toContain('retry: 2000');
  });

  it('answers a malformed %-escape in the path with 400 naming it, not 500', async () => {
    const r = await raw(ui.port, '/api/apps/%E0%A4%A/state', { host: `127.0.0.1:${ui.port}` });
    expect(r.status).toBe(400);
    expect(r.body).toContain('malformed %-escape in application id "%E0%A4%A"');
    expect((await raw(ui.port, '/api/apps/%/jobs', { host: `127.0.0.1:${ui.port}` })).status).toBe(400);
    // A well-formed escape still finds its application.
    expect((await raw(ui.port, '/api/apps/%6Cive/state', { host: `127.0.0.1:${ui.port}` })).status).toBe(200);
  });

  it('answers hosts the user allowed (any port, or the port given) and no others', async () => {
    const s = await startUiServer(source, { port: 0, allowedHosts: ['quiver.internal', 'Proxy.LAN:8080', '[fd00::7]'] });
    try {
      for (const host of [`quiver.internal:${s.port}`, 'quiver.internal', 'quiver.internal:443', 'proxy.lan:8080', '[fd00::7]:80', `127.0.0.1:${s.port}`]) {
        expect([host, (await raw(s.port, '/api/apps/live/state', { host })).status]).toEqual([host, 200]);
      }
      for (const host of ['proxy.lan:8081', 'proxy.lan', 'evil.example', 'internal', 'other.quiver.internal']) {
        expect([host, (await raw(s.port, '/api/apps/live/state', { host })).status]).toEqual([host, 403]);
      }
      expect((await raw(s.port, '/api/stream', { host: 'quiver.internal', origin: 'https://quiver.internal' })).status).toBe(200);
      expect((await raw(s.port, '/api/stream', { host: 'quiver.internal', origin: 'https://evil.example' })).status).toBe(403);
    } finally {
      await s.close();
    }
    await expect(startUiServer(source, { port: 0, allowedHosts: ['http://quiver.internal/'] })).rejects.toThrow(/allowed host 'http:\/\/quiver\.internal\/' is not a host name/);
  });

  // The address of this machine's first non-loopback interface, when it has one.
  const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

  it.skipIf(!external)('answers the address it was bound to (and, bound to 0.0.0.0, this machine\'s addresses), not other names', async () => {
    for (const bind of [external!, '0.0.0.0']) {
      const s = await startUiServer(source, { port: 0, host: bind });
      try {
        expect([bind, (await raw(s.port, '/api/apps/live/state', { host: `${external}:${s.port}` }, external)).status]).toEqual([bind, 200]);
        expect([bind, (await raw(s.port, '/api/apps/live/state', { host: 'evil.example' }, external)).status]).toEqual([bind, 403]);
      } finally {
        await s.close();
      }
    }
  });

  it('decides by the header alone: bound address, IPv6 loopback forms, absent or junk headers', () => {
    const c = hostCheck('10.0.0.5', ['quiver.internal']);
    expect(c.host('10.0.0.5:4040')).toBeNull();
    expect(c.host('10.0.0.6:4040')).toMatch(/not allowed/);
    expect(c.host('[::ffff:127.0.0.1]:4040')).toBeNull();
    expect(c.host('[0:0:0:0:0:0:0:1]')).toBeNull();
    expect(c.host('[::2]')).toMatch(/not allowed/);
    expect(c.host(undefined)).toMatch(/without a Host header/);
    expect(c.host('a b')).toMatch(/is not a host/);
    expect(c.origin(undefined)).toBeNull();
    expect(c.origin('http://quiver.internal:9999')).toBeNull();
    expect(c.origin('file:///home/me/x.html')).toMatch(/not allowed/);
    expect(hostCheck('fe80::1').host('[fe80::1]:4040')).toBeNull();
  });
});

describe('web UI allowed hosts, as a user sets them', () => {
  it('Quiver.local({ uiAllowedHosts }) answers that host and refuses others', async () => {
    const q = await Quiver.local({ workers: 1, ui: 0, quiet: true, uiAllowedHosts: ['quiver.internal'] });
    try {
      const port = Number(new URL(q.uiUrl!).port);
      expect((await raw(port, '/api/apps/live/state', { host: `quiver.internal:${port}` })).status).toBe(200);
      expect((await raw(port, '/api/apps/live/state', { host: `localhost:${port}` })).status).toBe(200);
      expect((await raw(port, '/api/apps/live/state', { host: `evil.example:${port}` })).status).toBe(403);
    } finally {
      await q.close();
    }
  });

  it('quiver ui --allowed-host answers that host and refuses others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-ui-hosts-'));
    writeFileSync(join(dir, 'events-a.jsonl'), JSON.stringify({ kind: 'jobStart', ts: 1000, jobId: 0, stages: [{ id: 0, partitions: 1, parents: [], output: 'result' }] }) + '\n');
    const p = spawn(process.execPath, [bin, 'ui', '--events', dir, '--port', '0', '--allowed-host', 'quiver.internal', '--allowed-host', 'other.internal:80']);
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    const exited = new Promise<number | null>((res) => p.on('close', res));
    try {
      const deadline = Date.now() + 40_000;
      while (!/ at http:\S+:(\d+)/.test(out) && Date.now() < deadline && p.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      const port = Number(/ at http:\S+:(\d+)/.exec(out)![1]);
      expect((await raw(port, '/api/apps', { host: `quiver.internal:${port}` })).status).toBe(200);
      expect((await raw(port, '/api/apps', { host: 'other.internal' })).status).toBe(200);
      expect((await raw(port, '/api/apps', { host: `127.0.0.1:${port}` })).status).toBe(200);
      const refused = await raw(port, '/api/apps', { host: `evil.example:${port}` });
      expect(refused.status).toBe(403);
      expect(refused.body).toContain('--allowed-host evil.example');
    } finally {
      p.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
