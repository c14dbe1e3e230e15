// Starts a real nats-server (Debian's package, installed by scripts/setup.sh) on a free loopback port for a test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NatsServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Stops and starts the server again on the same port (clients reconnect). */
  restart(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

export interface NatsOptions {
  token?: string;
  maxPayload?: number;
  /** Extra nats-server configuration text (e.g. an operator or tls block), written to its config file. */
  config?: string;
  /** Extra command line arguments for nats-server. */
  args?: string[];
}

async function launch(port: number, opts: NatsOptions, store: string): Promise<ChildProcess> {
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store];
  const { token, maxPayload, config } = opts;
  if (maxPayload || config) {
    const conf = join(store, 'nats.conf');
    writeFileSync(conf, `${maxPayload ? `max_payload: ${maxPayload}\n` : ''}${config ?? ''}\n`);
    args.push('-c', conf);
  }
  if (token) args.push('--auth', token);
  args.push(...(opts.args ?? []));
  const p = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((res, rej) => {
    let log = '';
    const t = setTimeout(() => rej(new Error(`nats-server did not start in 10 s:\n${log}`)), 10_000);
    p.on('error', (e) => { clearTimeout(t); rej(new Error(`cannot run nats-server (${e.message}): run scripts/setup.sh as root to install it (apt-get install nats-server)`)); });
    p.stderr!.on('data', (d) => { log += d; if (log.includes('Server is ready')) { clearTimeout(t); res(); } });
    p.on('exit', (code) => { clearTimeout(t); rej(new Error(`nats-server exited (${code}) before it was ready:\n${log}`)); });
  });
  return p;
}

export async function startNats(opts: NatsOptions = {}): Promise<NatsServer> {
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), 'quiver-nats-'));
  let p = await launch(port, opts, store);
  const stop = async () => {
    if (p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  };
  return {
    url: `nats://127.0.0.1:${port}`, port, stop,
    async restart() { await stop(); p = await launch(port, opts, store); },
  };
}
