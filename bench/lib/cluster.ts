// Cluster benchmark helpers: a nats-server with monitoring, executor processes (the `quiver executor` CLI), and a blob-serving process for the shuffle transfer figures.
//
// Run as a script (`tsx bench/lib/cluster.ts serve <nats-url> <block-mb>`) it is that serving
// process: the other end of bench/cluster.ts's raw NATS and fetchBlob measurements.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import * as arrow from 'apache-arrow';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TopLevelSpec } from 'vega-lite';
import { stackedPanels } from './chart.ts';
import { BlockStore } from '../../core/runtime/block-store.ts';
import { blockToIpc, chunkSize, ipcToBlock, serveBlobs } from '../../core/cluster/chunks.ts';
import { encodeBlock, type Block } from '../../core/runtime/ipc.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const QUIVER_BIN = join(ROOT, 'bin/quiver.mjs');
const SELF = fileURLToPath(import.meta.url);

/** Every process started here: killed when this one exits, however it exits (a failed run leaves nothing behind). */
const children = new Set<ChildProcess>();
let failed = false;
process.once('exit', (code) => {
  failed ||= code !== 0;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function track(p: ChildProcess): ChildProcess {
  children.add(p);
  p.once('exit', () => children.delete(p));
  return p;
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

/** Totals from nats-server's /varz: what crossed the server since it started. */
export interface NatsTotals { inMsgs: number; outMsgs: number; inBytes: number; outBytes: number }

export interface BenchNats {
  url: string;
  /** The server's message and byte counters now (its HTTP monitoring endpoint). */
  totals(): Promise<NatsTotals>;
  stop(): Promise<void>;
}

/** A nats-server on free loopback ports, JetStream on (as test/cluster/nats-server.ts starts it), with HTTP monitoring. */
export async function startBenchNats(opts: { maxPayload?: number; /** Client port (default: a free one). */ port?: number } = {}): Promise<BenchNats> {
  const [port, monitor] = [opts.port || await freePort(), await freePort()];
  const store = mkdtempSync(join(tmpdir(), 'quiver-bench-nats-'));
  const args = ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), '-js', '-sd', store];
  if (opts.maxPayload) {
    writeFileSync(join(store, 'nats.conf'), `max_payload: ${opts.maxPayload}\n`);
    args.push('-c', join(store, 'nats.conf'));
  }
  const p = track(spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] }));
  await new Promise<void>((res, rej) => {
    let log = '';
    const t = setTimeout(() => rej(new Error(`nats-server did not start in 10 s:\n${log}`)), 10_000);
    p.on('error', (e) => { clearTimeout(t); rej(new Error(`cannot run nats-server (${e.message}): run scripts/setup.sh as root to install it`)); });
    p.stderr!.on('data', (d) => { log += d; if (log.includes('Server is ready')) { clearTimeout(t); res(); } });
    p.on('exit', (code) => { clearTimeout(t); rej(new Error(`nats-server exited (${code}) before it was ready:\n${log}`)); });
  });
  const exited = new Promise((r) => p.once('exit', r));
  return {
    url: `nats://127.0.0.1:${port}`,
    async totals() {
      const v = await (await fetch(`http://127.0.0.1:${monitor}/varz`)).json() as Record<string, number>;
      return { inMsgs: v.in_msgs, outMsgs: v.out_msgs, inBytes: v.in_bytes, outBytes: v.out_bytes };
    },
    async stop() {
      if (p.exitCode === null) { p.kill('SIGTERM'); await exited; }
      rmSync(store, { recursive: true, force: true });
    },
  };
}

export interface ExecutorProcess {
  id: string;
  name: string;
  proc: ChildProcess;
  output(): string;
  /** Crash: SIGKILL, no goodbye. */
  kill9(): Promise<void>;
  /** Graceful: SIGTERM (finishes its tasks, leaves; a --cpu-prof profile is written then). */
  stop(): Promise<void>;
}

export interface ExecutorProcessOptions {
  servers: string;
  cluster: string;
  name: string;
  workers?: number;
  heartbeatMs?: number;
  /** Node options for the executor process, e.g. ['--cpu-prof', '--cpu-prof-dir=out/prof']. */
  nodeArgs?: string[];
  /** Directories the executor may read (--paths): the benchmark's data and model. */
  paths?: string[];
  /** How peers fetch its shuffle blocks (--block-transfer; default tcp). */
  blockTransfer?: 'tcp' | 'nats';
}

/** Starts `quiver executor` (bin/quiver.mjs, as a user would) and waits until it has joined. */
export async function startExecutorProcess(o: ExecutorProcessOptions): Promise<ExecutorProcess> {
  const args = [...(o.nodeArgs ?? []), QUIVER_BIN, 'executor', '--servers', o.servers, '--cluster', o.cluster, '--name', o.name,
    '--workers', String(o.workers ?? 1), ...(o.heartbeatMs ? ['--heartbeat-ms', String(o.heartbeatMs)] : []), ...(o.paths?.length ? ['--paths', o.paths.join(',')] : []),
    ...(o.blockTransfer ? ['--block-transfer', o.blockTransfer] : [])];
  const proc = track(spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  // A failed run shows what the executor said.
  process.once('exit', () => { if (failed) console.error(`--- executor ${o.name} said:\n${out.slice(-4000)}`); });
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const id = await new Promise<string>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`executor ${o.name} did not join in 60 s:\n${out}`)), 60_000);
    proc.stdout!.on('data', () => {
      const m = /quiver executor (\S+) joined/.exec(out);
      if (m) { clearTimeout(t); res(m[1]); }
    });
    proc.once('exit', (code) => { clearTimeout(t); rej(new Error(`executor ${o.name} exited (${code}) before joining:\n${out}`)); });
  });
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  return {
    id, name: o.name, proc,
    output: () => out,
    async kill9() { if (alive()) { proc.kill('SIGKILL'); await exited; } },
    async stop() { if (alive()) { proc.kill('SIGTERM'); await exited; } },
  };
}

/** Subjects the serving process answers on. */
export const BENCH_SUBJECTS = {
  /** Raw request/reply: any request is answered with one prepared payload of a full chunk reply's size. */
  raw: 'bench.raw',
  /** serveBlobs: 'bytes/<n>' is a prepared byte array; '<key>/0' a block put in a BlockStore under a fresh key (IPC encoded when first served). */
  blobs: 'bench.blobs',
  /** The block's rows and bytes, and how long blockToIpc and ipcToBlock of it take alone there (medians of 3): JSON. */
  hello: 'bench.hello',
};

/**
 * A block of about `mb` MB shaped like shuffle data (a string key and two numbers), the same
 * every time: 37 bytes a row (17 of string, a 4-byte offset, two 8-byte numbers).
 */
export function shuffleLikeBlock(mb: number): Block {
  const rows = Math.max(1, Math.floor((mb * 2 ** 20) / 37));
  const paths = Array.from({ length: 4096 }, (_, i) => `/movies/${(i * 2654435761 >>> 0).toString(36).padStart(7, '0')}/w`);
  const BATCH = 65_536;
  const batches: arrow.RecordBatch[] = [];
  for (let at = 0; at < rows; at += BATCH) {
    const n = Math.min(BATCH, rows - at);
    const path = arrow.vectorFromArray(Array.from({ length: n }, (_, i) => paths[(at + i) % paths.length]), new arrow.Utf8());
    const hits = arrow.vectorFromArray(BigInt64Array.from({ length: n }, (_, i) => BigInt((at + i) % 1000)));
    const score = arrow.vectorFromArray(Float64Array.from({ length: n }, (_, i) => (at + i) / rows));
    batches.push(new arrow.Table({ path, hits, score }).batches[0]);
  }
  return encodeBlock(batches[0].schema, batches);
}

/** The serving side: raw responder, blob server and block store on one connection. */
async function serve(url: string, blockMb: number): Promise<void> {
  const nc: NatsConnection = await connect({ servers: url, name: 'quiver-bench-server' });
  const size = chunkSize(nc);
  // Exactly the size of one of serveBlobs' full chunk replies (4-byte header + chunk).
  const rawReply = new Uint8Array(size + 4).fill(7);
  nc.subscribe(BENCH_SUBJECTS.raw, { callback: (err, m) => { if (!err) m.respond(rawReply); } });
  const bytes = new Uint8Array(blockMb * 2 ** 20);
  for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i & 255;
  const block = shuffleLikeBlock(blockMb);
  // The conversions alone, timed here so that the driver's process (bench/cluster.ts) is never
  // blocked for long: executors drop a driver silent for driverTimeoutMs.
  const timed = (f: () => unknown) => [0, 1, 2].map(() => { const t0 = performance.now(); f(); return performance.now() - t0; }).sort((a, b) => a - b)[1];
  const ipc = blockToIpc(block);
  const conversions = { encodeMs: timed(() => blockToIpc(block)), decodeMs: timed(() => ipcToBlock(ipc)), ipcBytes: ipc.length };
  const store = new BlockStore(4 * 1024 ** 3, join(tmpdir(), `quiver-bench-store-${process.pid}`));
  serveBlobs(nc, BENCH_SUBJECTS.blobs, (id) => {
    if (id.startsWith('bytes/')) return bytes;
    // A fresh key per fetch (what an executor does for each map output): put() is cheap, and
    // the first chunk served pays blockToIpc, as in a real shuffle.
    const key = id.slice(0, id.lastIndexOf('/'));
    if (!store.has(key)) { store.dropPrefix('run'); store.put(key, [block]); }
    return store.ipc(id);
  });
  nc.subscribe(BENCH_SUBJECTS.hello, { callback: (err, m) => { if (!err) m.respond(JSON.stringify({ chunk: size, blockRows: block.rows, blockBytes: block.bytes, ...conversions })); } });
  await nc.flush();
  console.log('serving');
  process.once('SIGTERM', () => { void nc.drain().then(() => process.exit(0)); });
}

export interface BlobServerProcess {
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the serving side in its own process and waits until it answers. */
export async function startBlobServer(url: string, blockMb: number, nodeArgs: string[] = []): Promise<BlobServerProcess> {
  const proc = track(spawn(process.execPath, [...nodeArgs, '--import', 'tsx', SELF, 'serve', url, String(blockMb)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  proc.stderr!.on('data', (d) => { out += d; });
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`blob server did not start in 60 s:\n${out}`)), 60_000);
    proc.stdout!.on('data', (d) => { out += d; if (out.includes('serving')) { clearTimeout(t); res(); } });
    proc.once('exit', (code) => { clearTimeout(t); rej(new Error(`blob server exited (${code}):\n${out}`)); });
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return { proc, async stop() { if (proc.exitCode === null) { proc.kill('SIGTERM'); await exited; } } };
}

export interface ClusterFigures {
  modes: { workload: string; ratio: number }[];
  transfer: { path: string; mbPerSecond: number }[];
  kill: { run: string; seconds: number }[];
}

/** The cluster benchmark's figure: cluster/local ratios against the bar, transfer MB/s by path, job time with and without a kill. */
export function clusterChart(f: ClusterFigures, bar: { accept: number; goal: number }, caption = ''): TopLevelSpec {
  const rules = [{ y: bar.accept, what: `acceptance ${bar.accept}x` }, { y: bar.goal, what: `goal ${bar.goal}x` }];
  const Q = 'quantitative' as const, N = 'nominal' as const;
  const panels = [];
  if (f.modes.length) panels.push({
    title: 'cluster / local throughput (higher is better)', width: 360, height: 200,
    layer: [
      { data: { values: f.modes }, mark: { type: 'bar' as const, color: '#1f4e99' }, encoding: { x: { field: 'workload', type: N, axis: { labelAngle: 0, labelLimit: 180 }, title: null }, y: { field: 'ratio', type: Q, title: 'ratio' } } },
      { data: { values: rules }, mark: { type: 'rule' as const, strokeDash: [4, 3], color: '#d9622b' }, encoding: { y: { field: 'y', type: Q } } },
      { data: { values: rules }, mark: { type: 'text' as const, align: 'left' as const, dx: 4, dy: -6, x: 0, color: '#d9622b' }, encoding: { y: { field: 'y', type: Q }, text: { field: 'what' } } },
    ],
  });
  if (f.transfer.length) panels.push({
    title: 'moving a block between processes: MB/s', width: 360, height: 200,
    data: { values: f.transfer },
    mark: { type: 'bar' as const },
    encoding: {
      x: { field: 'path', type: N, sort: f.transfer.map((t) => t.path), axis: { labelAngle: 0 }, title: null },
      y: { field: 'mbPerSecond', type: Q, title: 'MB/s' },
      // Raw NATS in warm colours, Quiver's paths in blues (as in bench/lib/kernel-charts.ts).
      color: { field: 'path', type: N, legend: null, scale: { domain: f.transfer.map((t) => t.path), range: f.transfer.map((t) => (t.path.startsWith('raw') ? (t.path === 'raw-1' ? '#e8a33d' : '#d9622b') : (t.path.includes('ipc') ? '#9cc3ee' : '#1f4e99'))) } },
    },
  });
  if (f.kill.length) panels.push({
    title: 'group-by job time (s)', width: 360, height: 120,
    data: { values: f.kill }, mark: { type: 'bar' as const, color: '#4a90d9' },
    encoding: { y: { field: 'run', type: N, title: null, sort: null }, x: { field: 'seconds', type: Q, title: 'seconds' } },
  });
  return stackedPanels(panels, caption);
}

if (process.argv[1] && resolve(process.argv[1]) === SELF && process.argv[2] === 'serve') {
  await serve(process.argv[3], Number(process.argv[4]));
}
