// Executor: a process that joins a cluster through NATS, announces itself and sends heartbeats, and runs drivers' tasks on its own worker pool until it leaves.
import type { NatsConnection } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PsHost } from '../ml/ps/ps-host.ts';
import { LocalRuntime } from '../runtime/local-runtime.ts';
import { BlockStore } from '../runtime/block-store.ts';
import { BlockServer } from './block-transfer.ts';
import { serveBlobs } from './chunks.ts';
import { connectCluster, type ClusterAuth } from './connect.ts';
import { normalizeRoots } from './plan-guard.ts';
import { decodeRequest, encodeControl, executorName, PROTOCOL_VERSION, subjects, type ControlMsg, type ControlReply } from './protocol.ts';
import { TaskHost } from './task-host.ts';

export interface ExecutorOptions extends ClusterAuth {
  name?: string;
  workers?: number;
  /** GPU use for predict stages: 'auto' (default) or 'off' (GPU-placed stages run on the CPU here). */
  gpu?: 'auto' | 'off';
  /** Milliseconds between heartbeats (default 1000). */
  heartbeatMs?: number;
  /**
   * Directories whose files this executor's tasks may read (and where permissive readers may
   * write bad records); drivers send file-reading tasks only to executors that declared the
   * file's directory. None: the executor reads no files (tasks that do fail with a PlanError).
   * Never the file system root.
   */
  paths?: string[];
  /**
   * Directories whose modules mapBatches UDFs may be imported from, besides installed packages
   * (never data:, http: or other URLs). Models load from `paths` or these.
   */
  udfPaths?: string[];
  /** Bytes of task output kept in memory before spilling to disk (default 1 GiB). */
  storeBudget?: number;
  /** A driver silent this long is gone and its state dropped (default 10 s). */
  driverTimeoutMs?: number;
  /** A task that makes no progress (no batch read or produced) this long is stopped and fails (default 10 minutes; 0: never). */
  taskStallMs?: number;
  /**
   * How peers fetch this executor's blocks: 'tcp' (default without TLS) serves them on a port of
   * its own behind a secret token announced over NATS, NATS the fallback; 'nats' (default with
   * TLS, as the port is not encrypted) serves them over NATS only.
   */
  blockTransfer?: 'tcp' | 'nats';
  /** The address peers reach the block server at (default: the first non-internal IPv4 address). */
  blockHost?: string;
  /** Where log lines go (default: console.error). */
  log?: (line: string) => void;
}

export class Executor {
  readonly id: string;
  private timer: NodeJS.Timeout | null = null;
  /** Draining: finishing running tasks, taking no new ones (set by a driver's drain request). */
  draining = false;
  private stopped = false;
  private host: TaskHost | null = null;
  private runtime: LocalRuntime | null = null;
  private store: BlockStore | null = null;
  /** Parameter-server training: the shards and worker this executor runs for drivers. */
  private ps: PsHost | null = null;
  private blockServer: BlockServer | null = null;

  private constructor(private readonly nc: NatsConnection, private readonly o: ExecutorOptions, private readonly cluster: string) {
    this.id = `${Executor.idName(o.name)}-${randomBytes(4).toString('hex')}`;
  }

  /** The name part of an executor's id (and of its subjects): its name or host name, in [A-Za-z0-9_-]{1,40}. */
  static idName(name: string | undefined): string {
    return ((name ?? hostname()).replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40)) || 'executor';
  }

  private log(line: string): void {
    (this.o.log ?? console.error)(`quiver executor ${this.id}: ${line}`);
  }

  /** Joins the cluster: starts its worker pool, registers, then heartbeats every heartbeatMs until stop(). */
  static async start(o: ExecutorOptions): Promise<Executor> {
    const cluster = o.cluster ?? 'default';
    const readRoots = normalizeRoots(o.paths, '--paths');
    const udfRoots = normalizeRoots(o.udfPaths, '--udf-path');
    // Worker threads inherit the environment: with --gpu off, GPU-placed stages run on the CPU.
    if (o.gpu === 'off') process.env.QUIVER_GPU = 'off';
    const name = Executor.idName(o.name);
    // Replies to this executor's own requests come under its own inbox prefix, so a NATS
    // permission can give each executor its replies and no one else's.
    const nc = await connectCluster(o, `quiver-executor ${o.name ?? hostname()}`, `_INBOX.quiver.${cluster}.exec.${name}`);
    const ex = new Executor(nc, o, cluster);
    const s = subjects(cluster);
    const workers = o.workers ?? availableParallelism();
    const dir = join(tmpdir(), `quiver-executor-${ex.id}`);
    ex.runtime = new LocalRuntime({ workers, spillDir: join(dir, 'tasks'), taskStallMs: o.taskStallMs });
    ex.store = new BlockStore(o.storeBudget ?? 1024 * 1024 * 1024, join(dir, 'store'));
    ex.host = new TaskHost(nc, cluster, ex.id, ex.runtime, ex.store, dir, { driverTimeoutMs: o.driverTimeoutMs, log: (l) => ex.log(l) }, () => !ex.draining && !ex.stopped,
      { executorId: ex.id, readRoots, udfRoots });
    if (executorName(ex.id) !== name) throw new Error(`invariant violated: executor id ${ex.id} does not start with its name ${name}`);
    serveBlobs(nc, s.execBlocks(ex.id), (id) => ex.store!.ipc(id));
    if ((o.blockTransfer ?? (o.tls ? 'nats' : 'tcp')) === 'tcp') {
      ex.blockServer = await BlockServer.listen((id) => ex.store!.ipc(id), { host: o.blockHost });
    }
    ex.ps = new PsHost(nc, cluster, ex.id, ex.runtime, (l) => ex.log(l));
    const register: ControlMsg = {
      v: PROTOCOL_VERSION, kind: 'register', executorId: ex.id, name: o.name ?? hostname(), host: hostname(), pid: process.pid,
      workers, gpu: o.gpu === 'off' ? null : await describeGpu(), paths: readRoots,
      ...(ex.blockServer ? { blocks: ex.blockServer.endpoint } : {}),
    };
    ex.announce(register);
    if (readRoots.length === 0) ex.log('started without --paths: it reads no files, so tasks that read one go to other executors (start it with --paths DIR,... to read data and models)');
    // Requests from a driver (drain: finish running tasks, take no new ones). A bad request is
    // answered with its reason and logged; it never reaches the executor's state.
    nc.subscribe(s.control(ex.id), {
      callback: (err, m) => {
        if (err) return;
        const d = decodeRequest(m.data);
        let reply: ControlReply;
        if (!d.ok) {
          ex.log(`rejected a control request: ${d.reason}`);
          reply = { ok: false, error: d.reason };
        } else if (d.req.kind === 'ping') {
          reply = { ok: true, draining: ex.draining, running: ex.host!.running };
        } else {
          ex.draining = true;
          ex.heartbeat();
          reply = { ok: true, draining: true, running: ex.host!.running };
        }
        m.respond(JSON.stringify(reply));
      },
    });
    // A driver that started later, or lost track of us (e.g. during a NATS restart), asks.
    nc.subscribe(s.hello, { callback: () => { if (!ex.stopped) ex.announce(register); } });
    ex.heartbeat();
    ex.timer = setInterval(() => ex.heartbeat(), o.heartbeatMs ?? 1000);
    // A server restart is ridden out by reconnecting; registering again lets a driver that
    // started meanwhile see this executor.
    void (async () => {
      for await (const st of nc.status()) {
        if (st.type === 'reconnect' && !ex.stopped) {
          ex.log('reconnected to NATS');
          ex.announce(register);
          ex.heartbeat();
        }
      }
    })();
    return ex;
  }

  private announce(msg: ControlMsg): void {
    this.nc.publish(subjects(this.cluster).announce(this.id), encodeControl(msg));
  }

  private heartbeat(): void {
    if (this.stopped) return;
    this.announce({ v: PROTOCOL_VERSION, kind: 'heartbeat', executorId: this.id, running: this.host?.running ?? 0, rssBytes: process.memoryUsage.rss(), storeBytes: this.store?.memoryBytes ?? 0, draining: this.draining });
  }

  /** Task attempts running now. */
  get running(): number {
    return this.host?.running ?? 0;
  }

  /** Drivers whose state (blocks, plans, tables) this executor holds. */
  get drivers(): number {
    return this.host?.driverCount ?? 0;
  }

  /** Task outputs held in the block store. */
  get storedOutputs(): number {
    return this.store?.size ?? 0;
  }

  /**
   * Leaves the cluster gracefully: takes no new tasks, finishes (and reports) the running ones
   * for up to `graceMs`, announces leaving, then stops its pool and removes its files.
   */
  async stop(reason = 'stopped', graceMs = 60_000): Promise<void> {
    if (this.stopped) return;
    this.draining = true;
    this.heartbeat();
    if (this.host && this.host.running > 0) {
      await Promise.race([this.host.whenIdle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
    }
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.announce({ v: PROTOCOL_VERSION, kind: 'leave', executorId: this.id, reason });
    this.ps?.close();
    this.host?.close();
    this.blockServer?.close();
    await this.nc.drain();
    await this.runtime?.close();
    this.store?.clear();
  }

  /** Simulates a crash in tests: stops heartbeats and answers nothing, without leaving. */
  async kill(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.ps?.close();
    this.host?.close();
    this.blockServer?.close();
    await this.nc.close();
    await this.runtime?.close();
    this.store?.clear();
  }
}

/**
 * The GPU this executor's tasks would use, as drivers and the UI show it: the adapter's
 * description ("(software)" for a CPU rasterizer such as lavapipe), or null without one.
 * Opens and closes a device once (about 0.1 s).
 */
async function describeGpu(): Promise<string | null> {
  try {
    const { GpuDevice } = await import('../../gpu-kernels/device/gpu-device.ts');
    const d = await GpuDevice.open({ gpu: 'auto', log: () => {} });
    if (!d) return null;
    const what = `${d.info.description}${d.info.isCpu ? ' (software)' : ''}`.slice(0, 255);
    d.destroy();
    return what;
  } catch {
    return null;
  }
}
