// A nats-server with JetStream for an example that brings its own: on a free loopback port, its store in a temporary directory, stopped (and the store removed) by stop().
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalNats {
  url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

/** Starts `nats-server -js` (Debian's nats-server package; scripts/setup.sh installs it as root). */
export async function startLocalNats(): Promise<LocalNats> {
  const port = await freePort();
  const store = mkdtempSync(join(tmpdir(), 'quiver-example-nats-'));
  const p = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((res, rej) => {
    let log = '';
    const t = setTimeout(() => rej(new Error(`nats-server did not start in 10 s:\n${log}`)), 10_000);
    p.on('error', (e) => { clearTimeout(t); rej(new Error(`cannot run nats-server (${e.message}): install it (apt-get install nats-server, or scripts/setup.sh as root), or pass --nats nats://host:port of a server with JetStream`)); });
    p.stderr!.on('data', (d) => { log += d; if (log.includes('Server is ready')) { clearTimeout(t); res(); } });
    p.on('exit', (code) => { clearTimeout(t); rej(new Error(`nats-server exited (${code}) before it was ready:\n${log}`)); });
  }).catch((e) => { rmSync(store, { recursive: true, force: true }); throw e; });
  // Never outlive the example, however it ends.
  const kill = () => { if (p.exitCode === null) p.kill('SIGTERM'); };
  process.once('exit', kill);
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      process.off('exit', kill);
      if (p.exitCode === null) {
        const exited = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        await exited;
      }
      rmSync(store, { recursive: true, force: true });
    },
  };
}
