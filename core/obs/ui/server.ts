// The web UI's HTTP server (node:http): the page, a JSON API over derived state (jobs, stages, executors, storage, streaming queries, trainings), SVG for DAGs and timelines, server-sent change events, /metrics.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ResourceError } from '../../../ops/errors.ts';
import { hostCheck, type HostCheck } from './allowed-hosts.ts';
import { findJob, type ObsState } from '../state.ts';
import { renderMetrics } from '../metrics.ts';
import { CLIENT_JS } from './client.ts';
import { PAGE_CSS, pageHtml } from './page.ts';
import { renderDagSvg } from './dag.ts';
import { renderTimelineSvg } from './timeline.ts';
import { planView } from './plan-view.ts';
import { appSummary, executorsView, jobDetail, jobSummary, stageDetail, storageView, streamsView, trainingsView } from './views.ts';

/** One session's history: the live one, or one event log file. */
export interface UiApp {
  id: string;
  name: string;
  live: boolean;
  state: ObsState;
}

/** What the server shows. `apps()` is called per request, so it may reload. */
export interface UiSource {
  apps(): UiApp[];
  /** Calls `f` when some app's state changed (live sessions); returns the unsubscribe. */
  subscribe(f: () => void): () => void;
  /** The time running tasks are drawn up to (epoch ms). */
  now(app: UiApp): number;
}

export interface UiServerOptions {
  /** First port tried (default 4040); 0 picks any free port. */
  port?: number;
  /** Ports tried after `port` when it is taken (default 16, as Spark). */
  portRetries?: number;
  /** Interface to bind (default 127.0.0.1: loopback only). */
  host?: string;
  /**
   * Host names (or `name:port`) requests may be addressed to besides loopback and `host` itself,
   * e.g. the name of a proxy in front of the UI. Any other Host or Origin gets 403.
   */
  allowedHosts?: readonly string[];
}

export interface UiServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Change notifications go out at most this often per client. */
const SSE_THROTTLE_MS = 250;
const SSE_KEEPALIVE_MS = 15_000;

/** Starts the UI on `host:port`, or the next free port; fails with a ResourceError naming the ports tried. */
export async function startUiServer(source: UiSource, o: UiServerOptions = {}): Promise<UiServer> {
  const host = o.host ?? '127.0.0.1';
  const first = o.port ?? 4040;
  const retries = first === 0 ? 0 : (o.portRetries ?? 16);
  const check = hostCheck(host, o.allowedHosts);
  const streams = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    try {
      handle(source, streams, check, req, res);
    } catch (e) {
      send(res, 500, 'text/plain; charset=utf-8', `internal error: ${(e as Error).message}\n`);
    }
  });
  // Never keeps a process alive by itself: the UI lives as long as the session that owns it.
  server.unref();

  let port = -1;
  for (let p = first; p <= first + retries; p++) {
    try {
      port = await listen(server, p, host);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' || p === first + retries) {
        throw new ResourceError(`web UI: cannot listen on ${host}:${first === p ? p : `${first}-${p}`} (${code ?? (e as Error).message}); pass another port (ui: <port>, --port) or ui: false`, { cause: e });
      }
    }
  }

  let pending: NodeJS.Timeout | null = null;
  const unsubscribe = source.subscribe(() => {
    if (pending || streams.size === 0) return;
    pending = setTimeout(() => {
      pending = null;
      for (const r of streams) r.write('event: change\ndata: {}\n\n');
    }, SSE_THROTTLE_MS);
    pending.unref();
  });
  const keepalive = setInterval(() => { for (const r of streams) r.write(': keepalive\n\n'); }, SSE_KEEPALIVE_MS);
  keepalive.unref();

  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    async close() {
      unsubscribe();
      if (pending) clearTimeout(pending);
      clearInterval(keepalive);
      for (const r of streams) r.end();
      streams.clear();
      await new Promise<void>((res) => server.close(() => res()));
      server.closeAllConnections();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => { server.off('listening', onListening); reject(e); };
    const onListening = (): void => { server.off('error', onError); resolve((server.address() as AddressInfo).port); };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

const json = (res: ServerResponse, v: unknown, status = 200): void => send(res, status, 'application/json; charset=utf-8', JSON.stringify(v));
const notFound = (res: ServerResponse, what: string): void => json(res, { error: `${what} not found` }, 404);

const refuse = (res: ServerResponse, status: number, why: string): void => send(res, status, 'text/plain; charset=utf-8', `${why}\n`);

function handle(source: UiSource, streams: Set<ServerResponse>, check: HostCheck, req: IncomingMessage, res: ServerResponse): void {
  // Before anything else: a page elsewhere that re-points its own name at this machine must get nothing.
  const why = check.host(req.headers.host) ?? check.origin(req.headers.origin);
  if (why) return refuse(res, 403, why);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' });
    res.end();
    return;
  }
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://ui');
  } catch {
    return refuse(res, 400, `malformed request target ${JSON.stringify(req.url)}`);
  }
  const path = url.pathname;
  if (path === '/' || path === '/index.html') return send(res, 200, 'text/html; charset=utf-8', pageHtml());
  if (path === '/static/app.js') return send(res, 200, 'text/javascript; charset=utf-8', CLIENT_JS);
  if (path === '/static/style.css') return send(res, 200, 'text/css; charset=utf-8', PAGE_CSS);
  if (path === '/metrics') {
    const apps = source.apps();
    // A live driver is one app: no app label. A history server labels each log's samples.
    const appLabel = apps.length !== 1 || !apps[0].live;
    return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', renderMetrics(apps.map((a) => ({ id: a.id, state: a.state })), { appLabel }));
  }
  if (path === '/api/stream') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
    return;
  }
  if (path === '/api/apps') {
    return json(res, source.apps().map((a) => appSummary(a.id, a.name, a.live, a.state)));
  }
  const m = /^\/api\/apps\/([^/]+)(\/.*)?$/.exec(path);
  if (!m) return notFound(res, path);
  let id: string;
  try {
    id = decodeURIComponent(m[1]);
  } catch {
    return refuse(res, 400, `malformed %-escape in application id ${JSON.stringify(m[1])}`);
  }
  const app = source.apps().find((a) => a.id === id);
  if (!app) return notFound(res, `application ${m[1]}`);
  const rest = m[2] ?? '';
  const now = source.now(app);
  const s = app.state;
  if (rest === '' || rest === '/') return json(res, { ...appSummary(app.id, app.name, app.live, s), now });
  if (rest === '/state') return json(res, s);
  if (rest === '/jobs') return json(res, { now, jobs: s.jobs.map(jobSummary).reverse() });
  if (rest === '/executors') return json(res, { now, executors: executorsView(s) });
  if (rest === '/storage') return json(res, { now, caches: storageView(s) });
  if (rest === '/streams') return json(res, { now, streams: streamsView(s) });
  if (rest === '/trainings') return json(res, { now, trainings: trainingsView(s) });
  if (rest === '/plan') return json(res, { now, ...planView(app.name, s, url.searchParams) });
  const j = /^\/jobs\/(\d+)(\/dag\.svg|\/stages\/(\d+)(\/timeline\.svg)?)?$/.exec(rest);
  if (!j) return notFound(res, path);
  const job = findJob(s, Number(j[1]));
  if (!job) return notFound(res, `job ${j[1]}`);
  if (!j[2]) return json(res, { now, job: jobDetail(job) });
  if (j[2] === '/dag.svg') return send(res, 200, 'image/svg+xml; charset=utf-8', renderDagSvg(job, `#/apps/${encodeURIComponent(app.id)}/jobs/${job.jobId}`));
  const stage = job.stages[Number(j[3])];
  if (!stage) return notFound(res, `stage ${j[3]} of job ${j[1]}`);
  if (j[4]) {
    const width = Math.max(400, Math.min(4000, Number(url.searchParams.get('width')) || 960));
    return send(res, 200, 'image/svg+xml; charset=utf-8', renderTimelineSvg(stage, now, width));
  }
  return json(res, { now, stage: stageDetail(stage) });
}
