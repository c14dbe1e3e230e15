// Observability a session carries: the event log, the live state derived from events (UI, progress bars, /metrics), attached when a Quiver starts.
import { hostname } from 'node:os';
import { PlanError } from '../../ops/errors.ts';
import { log } from '../../gpu-kernels/log.ts';
import type { Session } from '../api/session.ts';
import { LOCAL_EXECUTOR, type RuntimeEvent } from '../runtime/events.ts';
import { LocalRuntime } from '../runtime/local-runtime.ts';
import { appendEvent, createEventLogFile } from './event-log.ts';
import { ConsoleProgress, type ProgressOutput } from './progress.ts';
import { startUiServer, type UiApp, type UiServer } from './ui/server.ts';
import { applyEvent, emptyState, type ObsState } from './state.ts';

export interface ObservabilityOptions {
  /** Directory the event log is appended to, one JSON line per event (default: none). */
  eventLog?: string;
  /** Console progress bars per stage (default: when stdout is a terminal, unless quiet). */
  progress?: boolean;
  /** No progress bars, no "web UI at ..." line, and no warning about records skipped in permissive mode (they are still counted and quarantined). */
  quiet?: boolean;
  /**
   * The web UI: true or a port (default 4040; the next free port when taken), false for none.
   * Default: on, except under a test runner (VITEST) or with QUIVER_UI=0.
   */
  ui?: boolean | number;
  /** Interface the UI binds (default 127.0.0.1: this machine only). */
  uiHost?: string;
  /** Host names (or `name:port`) the UI answers besides loopback and uiHost, e.g. a proxy's; other Host headers get 403. */
  uiAllowedHosts?: string[];
}

export interface Observability {
  /** The event log file, when one is written. */
  readonly eventLogFile: string | null;
  /** The web UI's address (null without one). */
  readonly uiUrl: string | null;
  /** Jobs, stages, tasks and executors as the events so far describe them (what the UI shows). */
  readonly state: ObsState;
  /** Calls `f` after each event is folded into `state`, until the returned function is called. */
  subscribe(f: (e: RuntimeEvent) => void): () => void;
  close(): Promise<void>;
}

/** How often an embedded session samples its own memory while a job runs. */
const MEMORY_SAMPLE_MS = 2000;

/** Starts what `o` asks for on `session`; the returned handle stops it (the session's close calls it). */
export async function attachObservability(session: Session, o: ObservabilityOptions): Promise<Observability> {
  const eventLogFile = o.eventLog ? createEventLogFile(o.eventLog) : null;
  const state = emptyState();
  const subscribers = new Set<(e: RuntimeEvent) => void>();
  let closed = false;

  // An embedded session's worker threads are one executor, 'local': announced with the first
  // job (not at attach: a session that runs nothing logs nothing), then its memory sampled.
  const local = session.runtime instanceof LocalRuntime;
  let announced = false;
  let running = 0;
  let sampler: NodeJS.Timeout | null = null;
  const sample = (): void => {
    if (closed) return;
    const m = process.memoryUsage();
    session.emit({ kind: 'executorMetrics', ts: Date.now(), executor: LOCAL_EXECUTOR, rssBytes: m.rss, heapUsedBytes: m.heapUsed });
  };
  // Deferred: events emitted from inside a listener would reach later listeners out of order.
  const later = (f: () => void): void => { setImmediate(() => { if (!closed) f(); }); };

  const listener = (e: RuntimeEvent): void => {
    if (eventLogFile) appendEvent(eventLogFile, e);
    applyEvent(state, e);
    for (const f of subscribers) f(e);
    if (!local) return;
    if (e.kind === 'jobStart') {
      running++;
      if (!announced) {
        announced = true;
        later(() => session.emit({ kind: 'executorAdded', ts: Date.now(), executor: LOCAL_EXECUTOR, name: 'local (worker threads of the driver)', host: hostname(), workers: session.runtime.workers, gpu: null, paths: [] }));
      }
      later(sample);
      if (!sampler) { sampler = setInterval(sample, MEMORY_SAMPLE_MS); sampler.unref(); }
    } else if (e.kind === 'jobEnd') {
      running = Math.max(0, running - 1);
      later(sample);
      if (running === 0 && sampler) { clearInterval(sampler); sampler = null; }
    }
  };
  session.listeners.add(listener);

  const progress = progressWanted(o, process.stdout) ? new ConsoleProgress(state, process.stdout) : null;
  if (progress) subscribers.add(() => progress.update());

  let ui: UiServer | null = null;
  const uiPort = uiWanted(o, process.env);
  if (uiPort !== null) {
    const app: UiApp = { id: 'live', name: `${hostname()} pid ${process.pid}`, live: true, state };
    try {
      ui = await startUiServer({
        apps: () => [app],
        subscribe: (f) => { subscribers.add(f); return () => { subscribers.delete(f); }; },
        now: () => Date.now(),
      }, { port: uiPort, host: o.uiHost, allowedHosts: o.uiAllowedHosts });
    } catch (e) {
      session.listeners.delete(listener);
      progress?.close();
      throw e;
    }
    if (!o.quiet) log.info(`quiver: web UI at ${ui.url}`);
  }

  return {
    eventLogFile,
    uiUrl: ui?.url ?? null,
    state,
    subscribe(f) {
      subscribers.add(f);
      return () => { subscribers.delete(f); };
    },
    async close() {
      closed = true;
      if (sampler) clearInterval(sampler);
      progress?.close();
      session.listeners.delete(listener);
      subscribers.clear();
      await ui?.close();
    },
  };
}

/** Bars when asked, or by default on a terminal; never when quiet. */
export function progressWanted(o: ObservabilityOptions, stdout: ProgressOutput & { isTTY?: boolean }): boolean {
  if (o.quiet) return false;
  return o.progress ?? stdout.isTTY === true;
}

/** The port to serve the UI on, or null for no UI. */
export function uiWanted(o: ObservabilityOptions, env: Record<string, string | undefined>): number | null {
  if (o.ui === false) return null;
  if (typeof o.ui === 'number') {
    if (!Number.isInteger(o.ui) || o.ui < 0 || o.ui > 65535) throw new PlanError(`ui: a port must be an integer from 0 to 65535 (0: any free port), got ${o.ui}`);
    return o.ui;
  }
  if (o.ui === true) return 4040;
  return env.QUIVER_UI === '0' || env.VITEST ? null : 4040;
}
