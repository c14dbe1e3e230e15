// The web UI in a real browser (Debian's chromium through playwright-core): during a running job and after it.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fn, Quiver, type RuntimeEvent } from '../../core/index.ts';
import { until } from '../cluster/cluster-helpers.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/ui');
const udf = resolve(import.meta.dirname, '../fixtures/obs/udf.ts');
/** Waits for the browser: generous, a loaded 2-core machine renders slowly. */
const WAIT = { timeout: 30_000 };

describe('web UI in a browser', () => {
  let browser: Browser;
  let page: Page;
  let q: Quiver;
  let gate: string;
  const errors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium; scripts/setup.sh does as root) or set CHROMIUM_PATH`);
    mkdirSync(ARTIFACTS, { recursive: true });
    gate = join(mkdtempSync(join(tmpdir(), 'quiver-ui-gate-')), 'open');
    // The session's own UI, on any free port (the default is off under the test runner).
    q = await Quiver.local({ workers: 2, shufflePartitions: 2, ui: 0, quiet: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => errors.push(e.message));
  });
  afterAll(async () => {
    if (gate) writeFileSync(gate, 'open'); // never leave a job waiting
    await browser?.close();
    await q?.close();
  });

  it('shows a running job live: the jobs list, its DAG and its running tasks, then the same job done', async () => {
    // Stage 0's tasks wait for the gate file: the job is still running while the browser looks.
    const rows = Array.from({ length: 40 }, (_, i) => ({ k: i % 4, x: i }));
    const job = q.createDataFrame(rows, { partitions: 4 })
      .mapBatches({ module: udf, export: 'slow' }, { options: { gate, maxMs: 60_000 } })
      .groupBy('k').agg(fn.count().alias('n'))
      .toArray();
    try {
      await page.goto(q.uiUrl!);
      const running = page.locator('#jobs-table tbody tr[data-job-id="0"][data-status="running"]');
      await running.waitFor(WAIT);
      expect(await running.locator('td').first().innerText()).toBe('Job 0');
      await page.locator('#live.live').waitFor(WAIT);
      await page.screenshot({ path: join(ARTIFACTS, 'running-jobs.png'), fullPage: true });

      await running.locator('a').click();
      await page.locator('#dag svg .dag-node').nth(1).waitFor(WAIT);
      expect(await page.locator('#dag svg .dag-node').count()).toBe(2);
      expect(await page.locator('#dag svg .dag-node[data-stage="0"]').getAttribute('data-status')).toBe('running');
      expect(await page.locator('#dag svg .dag-node[data-stage="1"]').getAttribute('data-status')).toBe('pending');
      expect(await page.locator('#dag svg .dag-edge[data-from="0"][data-to="1"]').count()).toBe(1);
      await page.screenshot({ path: join(ARTIFACTS, 'running-job.png'), fullPage: true });

      // Into stage 0 through the DAG: its tasks are running.
      await page.locator('#dag svg .dag-node[data-stage="0"]').click();
      await page.locator('#tasks-table tbody tr[data-status="running"]').first().waitFor(WAIT);
      expect(await page.locator('h1').innerText()).toMatch(/^Stage 0 of job 0\s+running$/);
      await page.locator('#timeline svg .task-bar[data-status="running"]').first().waitFor(WAIT);
      await page.screenshot({ path: join(ARTIFACTS, 'running-stage.png'), fullPage: true });

      // Open the gate: the same page follows the job to its end, without a reload.
      writeFileSync(gate, 'open');
      await page.locator('h1 .badge.succeeded').waitFor(WAIT);
      await page.locator('#tasks-table tbody tr[data-status="succeeded"]').nth(3).waitFor(WAIT);
      expect(await page.locator('#tasks-table tbody tr').count()).toBe(4);
      expect(await page.locator('#tasks-table tbody tr[data-status="succeeded"]').count()).toBe(4);
    } finally {
      writeFileSync(gate, 'open');
    }
    expect(await job).toHaveLength(4);
  });

  it('shows the finished job: jobs list, DAG, stages, task table and executors', async () => {
    await page.goto(q.uiUrl!);
    const done = page.locator('#jobs-table tbody tr[data-job-id="0"][data-status="succeeded"]');
    await done.waitFor(WAIT);
    expect(await done.locator('.progress').innerText()).toBe('6 / 6');
    await page.screenshot({ path: join(ARTIFACTS, 'done-jobs.png'), fullPage: true });

    await done.locator('a').click();
    await page.locator('#dag svg .dag-node[data-stage="1"][data-status="succeeded"]').waitFor(WAIT);
    expect(await page.locator('#dag svg .dag-node[data-status="succeeded"]').count()).toBe(2);
    expect(await page.locator('#stages-table tbody tr').count()).toBe(2);
    expect(await page.locator('#stages-table tbody tr[data-stage="1"] td').nth(3).innerText()).toBe('2 / 2');
    // The session reported the job's plans: each stage's operators, and the plans themselves.
    expect(await page.locator('#stages-table tbody tr[data-stage="1"] td').nth(1).innerText()).toBe('ShuffleRead > HashAggregate');
    expect(await page.locator('body').innerText()).toMatch(/Optimized logical plan[\s\S]*Aggregate: groupBy=\[k\]/);
    await page.screenshot({ path: join(ARTIFACTS, 'done-job.png'), fullPage: true });

    await page.locator('#stages-table a', { hasText: 'Stage 1' }).click();
    await page.locator('#tasks-table tbody tr').nth(1).waitFor(WAIT);
    const cells = await page.locator('#tasks-table tbody tr').first().locator('td').allInnerTexts();
    expect(cells.slice(0, 5)).toEqual(['0', '0', 'local', '', 'succeeded']);
    expect(await page.locator('#quantiles td').count()).toBe(5);
    await page.screenshot({ path: join(ARTIFACTS, 'done-stage.png'), fullPage: true });

    await page.locator('#nav a', { hasText: 'Executors' }).click();
    const local = page.locator('#executors-table tbody tr[data-executor="local"]');
    await local.waitFor(WAIT);
    expect((await local.locator('td').allInnerTexts()).slice(0, 6)).toEqual(['local', 'local (worker threads of the driver)', expect.any(String), 'active', '2', '0']);
    await page.screenshot({ path: join(ARTIFACTS, 'executors.png'), fullPage: true });

    // The capacity plan fitted to this job: its two stages measured beside predicted; a what-if from the form.
    await page.locator('#nav a', { hasText: 'Plan' }).click();
    await page.locator('#plan-stages-0 tbody tr[data-stage="1"]').waitFor(WAIT);
    const stage0 = await page.locator('#plan-stages-0 tbody tr[data-stage="0"] td').allInnerTexts();
    expect(stage0.slice(0, 3), JSON.stringify(stage0)).toEqual([expect.stringMatching(/^0: /), 'cpu', '4']);
    expect(stage0[3]).toMatch(/\d+ ms|s$/);
    expect(stage0[4]).toMatch(/\d+ ms|s$/);
    await page.locator('#plan-form input[name="workers"]').fill('4');
    await page.locator('#plan-form button').click();
    await page.waitForURL(/plan\?workers=4$/);
    await page.locator('.plan-job dd', { hasText: '1 executor(s) x 4 worker(s)' }).waitFor(WAIT);
    await page.screenshot({ path: join(ARTIFACTS, 'plan.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('shows a running streaming query with its last progress and rates, then the same query stopped', async () => {
    const query = await q.readStream.rate({ rowsPerSecond: 100 }).writeStream.format('memory').queryName('ticks').trigger({ processingTime: '200 ms' }).start();
    try {
      await page.goto(`${q.uiUrl}/#/apps/live/streaming`);
      const row = page.locator(`#streams-active tbody tr[data-query-id="${query.id}"][data-status="active"]`);
      await row.waitFor(WAIT);
      expect(await row.locator('td').first().innerText()).toBe('ticks');
      // Two batches reported or more: a rate history of as many points on the page.
      const rates = row.locator('svg.rates');
      await until(async () => Number(await rates.getAttribute('data-points', WAIT)) >= 2, WAIT.timeout, 'a rate history of two batches');
      expect(await rates.locator('polyline[data-series="processedRowsPerSecond"]').count()).toBe(1);
      expect(await page.locator('#nav a.active').innerText()).toBe('Streaming');
      await page.screenshot({ path: join(ARTIFACTS, 'streaming.png'), fullPage: true });
    } finally {
      await query.stop();
    }
    // The page follows the query to its end without a reload.
    await page.locator(`#streams-finished tbody tr[data-query-id="${query.id}"][data-status="stopped"]`).waitFor(WAIT);
    expect(await page.locator('#streams-active').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('shows a training as its events report it: running with its progress, then finished with its test accuracy', async () => {
    // The events q.train reports (a real training needs executors: test/ml/ps-train.test.ts checks those); here the page is what is tested.
    const id = 'b7e1c2d4-0000-4000-8000-000000000001';
    const emit = (e: RuntimeEvent) => q.session.emit(e);
    emit({ kind: 'trainStart', ts: Date.now(), id, model: 'mlp 64', consistency: 'bounded-delay', maxDelay: 4, epochs: 2, workers: 2, shards: 1, rows: 6000 });
    emit({ kind: 'trainProgress', ts: Date.now(), id, epoch: 1, epochs: 2, rows: 6000, totalRows: 6000, loss: 0.6931, accuracy: 0.75, testAccuracy: 0.8,
      stepsPerSecond: 42.5, samplesPerSecond: 4250, staleness: { 0: 40, 1: 15, 4: 5 }, epochEnd: true });
    await page.goto(`${q.uiUrl}/#/apps/live/training`);
    const row = page.locator(`#trainings-running tbody tr[data-train-id="${id}"][data-status="running"]`);
    await row.waitFor(WAIT);
    const cells = await row.locator('td').allInnerTexts();
    expect(cells.slice(0, 4)).toEqual(['b7e1c2d4', 'mlp 64', 'bounded-delay (max delay 4)', 'running']);
    expect(cells.slice(6, 15)).toEqual(['2 / 1', '1/2 done', '6,000/6,000', '0.6931', '75.00%', '80.00%', '42.5', '4,250', '0:40 1:15 4:5']);
    expect(await page.locator('#nav a.active').innerText()).toBe('Training');
    await page.screenshot({ path: join(ARTIFACTS, 'training.png'), fullPage: true });
    emit({ kind: 'trainEnd', ts: Date.now(), id, ok: true, testAccuracy: 0.85, steps: 120, trainSeconds: 3 });
    // The page follows the training to its end without a reload.
    const done = page.locator(`#trainings-finished tbody tr[data-train-id="${id}"][data-status="succeeded"]`);
    await done.waitFor(WAIT);
    expect((await done.locator('td').allInnerTexts())[11]).toBe('85.00%');
    expect(errors).toEqual([]);
  });
});
