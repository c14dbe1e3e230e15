import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, fn, Quiver } from '../../core/index.ts';
import { attachObservability, uiWanted, type Observability } from '../../core/obs/attach.ts';
import { readEventLog } from '../../core/obs/event-log.ts';
import { historySource } from '../../core/obs/history.ts';
import { replay } from '../../core/obs/state.ts';
import { startUiServer } from '../../core/obs/ui/server.ts';

const udf = resolve(import.meta.dirname, '../fixtures/obs/udf.ts');

async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  const r = await fetch(url);
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
}
const getJson = async (url: string) => JSON.parse((await get(url)).body);

describe('web UI server', () => {
  let q: Quiver;
  let obs: Observability;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'quiver-ui-'));
    q = await Quiver.local({ workers: 2, shufflePartitions: 2, maxTaskAttempts: 2 });
    obs = await attachObservability(q.session, { ui: 0, quiet: true, eventLog: dir });
    const rows = Array.from({ length: 100 }, (_, i) => ({ k: i % 5, x: i }));
    await q.createDataFrame(rows, { partitions: 3 }).groupBy('k').agg(fn.sum(col('x')).alias('s')).collect();
    await expect(q.createDataFrame(rows).mapBatches({ module: udf, export: 'failOn' }, { options: { bad: 3 } }).collect()).rejects.toThrow(/poisoned/);
    await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(async () => {
    await obs.close();
    await q.close();
  });

  it('serves on loopback, the page and its script', async () => {
    expect(obs.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const page = await get(obs.uiUrl!);
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/text\/html/);
    expect(page.body).toContain('<script src="/static/app.js">');
    const js = await get(`${obs.uiUrl}/static/app.js`);
    expect(js.type).toMatch(/javascript/);
    // The script parses (a syntax error would leave a blank page).
    expect(() => new Function(js.body)).not.toThrow();
    expect((await get(`${obs.uiUrl}/static/style.css`)).type).toMatch(/text\/css/);
  });

  it('lists jobs and shows a job, its DAG, a stage with its tasks and timeline, and executors', async () => {
    const base = `${obs.uiUrl}/api/apps/live`;
    expect(await getJson(`${obs.uiUrl}/api/apps`)).toEqual([expect.objectContaining({ id: 'live', live: true, jobs: 2, running: 0, failed: 1 })]);
    const { jobs } = await getJson(`${base}/jobs`);
    expect(jobs.map((j: any) => [j.jobId, j.status])).toEqual([[1, 'failed'], [0, 'succeeded']]);
    expect(jobs[1].tasks).toEqual({ total: 5, done: 5, running: 0, failedAttempts: 0 });
    expect(jobs[1].rows).toBe(5);
    expect(jobs[0].error).toMatch(/row 3 is poisoned/);

    const { job } = await getJson(`${base}/jobs/0`);
    expect(job.stageList.map((s: any) => [s.stageId, s.parents, s.status, s.done])).toEqual([[0, [], 'succeeded', 3], [1, [0], 'succeeded', 2]]);
    expect(job.stageList[0]).not.toHaveProperty('attempts');
    const dag = await get(`${base}/jobs/0/dag.svg`);
    expect(dag.type).toMatch(/image\/svg\+xml/);
    expect(dag.body.match(/class="dag-node"/g)).toHaveLength(2);
    expect(dag.body).toContain('data-from="0" data-to="1"');
    expect(dag.body).toContain('href="#/apps/live/jobs/0/stages/1"');

    const { stage } = await getJson(`${base}/jobs/0/stages/0`);
    expect(stage.attempts.map((a: any) => [a.partition, a.status, a.executor])).toEqual([[0, 'succeeded', 'local'], [1, 'succeeded', 'local'], [2, 'succeeded', 'local']]);
    expect(stage.quantiles).toHaveLength(5);
    const timeline = await get(`${base}/jobs/0/stages/0/timeline.svg`);
    expect(timeline.body.match(/class="task-bar"/g)).toHaveLength(3);

    const failed = (await getJson(`${base}/jobs/1/stages/0`)).stage;
    expect(failed.status).toBe('failed');
    expect(failed.attempts.filter((a: any) => a.status === 'failed').every((a: any) => /poisoned/.test(a.error))).toBe(true);

    const { executors } = await getJson(`${base}/executors`);
    // 5 tasks of the first job, and the failing job's partition without row 3.
    expect(executors).toEqual([expect.objectContaining({ id: 'local', workers: 2, status: 'active', running: 0, succeeded: 6, failed: 2 })]);
  });

  it('serves the capacity plan fitted to its own jobs: measured stages beside predicted, a what-if, and errors as text', async () => {
    const base = `${obs.uiUrl}/api/apps/live`;
    const { plan, error, params } = await getJson(`${base}/plan`);
    expect([error, params]).toEqual([null, {}]);
    expect(plan.jobs).toHaveLength(1);
    const [job] = plan.jobs;
    // The succeeded group-by ran once on the local pool: 2 stages, each measured and predicted.
    expect(job.fit.runs).toBe(1);
    expect(job.fit.stages).toHaveLength(2);
    for (const s of job.fit.stages) expect(s.measuredMs).toBeGreaterThan(0);
    expect(job.whatIf.batch.stages).toHaveLength(2);
    expect(job.whatIf.batch.jobMs).toBeGreaterThan(0);
    expect(job.whatIf.executors).toBe(job.fit.executors);
    const state = await getJson(`${base}/state`);
    const ran = state.jobs.find((j: any) => j.jobId === 0);
    expect(job.fit.stages.map((s: any) => s.measuredMs)).toEqual(ran.stages.map((s: any) => s.durationMs));
    const what = await getJson(`${base}/plan?workers=4&target=5000/s`);
    expect(what.params).toEqual({ workers: '4', target: '5000/s' });
    expect(what.plan.jobs[0].whatIf.workersPerExecutor).toBe(4);
    expect(what.plan.jobs[0].sizing.target).toBe(5000);
    expect((await getJson(`${base}/plan?executors=none`)).error).toMatch(/executors/);
  });

  it('answers unknown paths with 404, writes with 405', async () => {
    expect((await get(`${obs.uiUrl}/api/apps/live/jobs/99`)).status).toBe(404);
    expect((await get(`${obs.uiUrl}/api/apps/live/jobs/0/stages/9`)).status).toBe(404);
    expect((await get(`${obs.uiUrl}/api/apps/nope/jobs`)).status).toBe(404);
    expect((await get(`${obs.uiUrl}/nothing`)).status).toBe(404);
    expect((await fetch(`${obs.uiUrl}/api/apps`, { method: 'POST' })).status).toBe(405);
  });

  it('shows exactly what replaying its event log gives, live and from `quiver ui --events`', async () => {
    const live = await getJson(`${obs.uiUrl}/api/apps/live/state`);
    const replayed = replay(readEventLog(obs.eventLogFile!));
    expect(live).toEqual(JSON.parse(JSON.stringify(replayed)));

    const history = await startUiServer(historySource(dir), { port: 0 });
    try {
      const apps = await getJson(`${history.url}/api/apps`);
      expect(apps).toHaveLength(1);
      expect(apps[0]).toEqual(expect.objectContaining({ live: false, jobs: 2 }));
      const hist = await getJson(`${history.url}/api/apps/${apps[0].id}/jobs`);
      const now = await getJson(`${obs.uiUrl}/api/apps/live/jobs`);
      expect(hist.jobs).toEqual(now.jobs);
      const histDag = (await get(`${history.url}/api/apps/${apps[0].id}/jobs/0/dag.svg`)).body;
      expect(histDag.replaceAll(`#/apps/${apps[0].id}/`, '#/apps/live/')).toBe((await get(`${obs.uiUrl}/api/apps/live/jobs/0/dag.svg`)).body);
    } finally {
      await history.close();
    }
  });

  it('serves one application per log file in a history server, and labels their metrics with it', async () => {
    const d = mkdtempSync(join(tmpdir(), 'quiver-ui-hist-'));
    const log = readFileSync(obs.eventLogFile!, 'utf8');
    writeFileSync(join(d, 'events-a.jsonl'), log);
    writeFileSync(join(d, 'events-b.jsonl'), log.split('\n').slice(0, 1).join('\n') + '\n');
    const history = await startUiServer(historySource(d), { port: 0 });
    try {
      const apps = await getJson(`${history.url}/api/apps`);
      expect(apps.map((a: any) => [a.id, a.live, a.jobs, a.running])).toEqual([['events-a', false, 2, 0], ['events-b', false, 1, 1]]);
      const metrics = await (await fetch(`${history.url}/metrics`)).text();
      expect(metrics).toContain('quiver_jobs_total{app="events-a",status="failed"} 1');
      expect(metrics).toContain('quiver_jobs_running{app="events-b"} 1');
      // A log that grows is read again.
      appendFileSync(join(d, 'events-b.jsonl'), log.split('\n').slice(1).join('\n'));
      expect((await getJson(`${history.url}/api/apps`))[1].jobs).toBe(2);
    } finally {
      await history.close();
    }
  });

  it('pushes a change event to a browser while a job runs', async () => {
    const ctl = new AbortController();
    const r = await fetch(`${obs.uiUrl}/api/stream`, { signal: ctl.signal });
    expect(r.headers.get('content-type')).toBe('text/event-stream');
    const reader = r.body!.getReader();
    const job = q.createDataFrame([{ x: 1 }]).count();
    let text = '';
    while (!text.includes('event: change')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ctl.abort();
    await job;
    expect(text).toContain('event: change');
  });

  it('takes the next free port when the first is taken, and says which ports it tried when none is free', async () => {
    const blocker = createServer();
    await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', () => res()));
    const taken = (blocker.address() as { port: number }).port;
    const source = { apps: () => [], subscribe: () => () => {}, now: () => 0 };
    try {
      const ui = await startUiServer(source, { port: taken });
      expect(ui.port).toBeGreaterThan(taken);
      expect(ui.url).toBe(`http://127.0.0.1:${ui.port}`);
      await ui.close();
      await expect(startUiServer(source, { port: taken, portRetries: 0 })).rejects.toThrow(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${taken} \\(EADDRINUSE\\)`));
    } finally {
      blocker.close();
    }
  });

  it('is on by default at 4040, off under a test runner, with QUIVER_UI=0 or ui: false', () => {
    expect(uiWanted({}, {})).toBe(4040);
    expect(uiWanted({ ui: 4100 }, {})).toBe(4100);
    expect(uiWanted({}, { VITEST: 'true' })).toBeNull();
    expect(uiWanted({ ui: true }, { VITEST: 'true' })).toBe(4040);
    expect(uiWanted({}, { QUIVER_UI: '0' })).toBeNull();
    expect(uiWanted({ ui: false }, {})).toBeNull();
    expect(() => uiWanted({ ui: -1 }, {})).toThrow(/integer from 0 to 65535/);
  });
});
