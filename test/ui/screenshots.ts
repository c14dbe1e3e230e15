// Writes the UI screenshots under docs/ (docs/OBSERVABILITY.md and the README show them): a photo tagging job seen in the web UI.
//
//   npx tsx test/ui/screenshots.ts            # needs chromium (apt-get install -y chromium) and Fashion-MNIST
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { col, fn, Quiver } from '../../core/index.ts';
import { attachObservability } from '../../core/obs/attach.ts';
import { planEvents } from '../../core/obs/plan-events.ts';

const FMNIST = process.env.FMNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const DOCS = resolve(import.meta.dirname, '../../docs');

const q = await Quiver.local({ workers: 2, ui: false, quiet: true } as Parameters<typeof Quiver.local>[0]);
const obs = await attachObservability(q.session, { ui: 0, quiet: true });
// Plans and placements come from the session's jobPlan and placement events; where this build's
// session does not report them yet, report them here from the same plans.
const planned = new Set<number>();
q.onEvent((e) => { if (e.kind === 'jobPlan') planned.add(e.jobId); });
async function run<T>(df: ReturnType<Quiver['createDataFrame']>, action: () => Promise<T>): Promise<T> {
  const { optimized, physical } = await q.session.physical(df.plan);
  const off = q.onEvent((e) => {
    if (e.kind !== 'jobStart') return;
    off();
    setImmediate(() => {
      if (!planned.has(e.jobId)) for (const ev of planEvents(e.jobId, df.plan, optimized, physical)) q.session.emit(ev);
    });
  });
  return action();
}

try {
  const model = q.model(resolve(import.meta.dirname, '../../models/fmnist-mlp'));
  const images = q.read.idx(`${FMNIST}/*-images-idx3-ubyte.gz`, { labels: true }).withColumnRenamed('label', 'truth');
  await run(images, () => images.count());
  const tags = images.predict(model, { device: 'auto' });
  const perLabel = tags.groupBy('label').agg(fn.count().alias('images'), fn.avg(col('score')).alias('meanScore')).orderBy(col('images').desc());
  await run(perLabel, () => perLabel.collect());

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    const shoot = async (hash: string, ready: string, file: string) => {
      await page.goto(`${obs.uiUrl}/${hash}`);
      await page.locator(ready).first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: resolve(DOCS, file), fullPage: true });
      console.log(`wrote docs/${file}`);
    };
    await shoot('#/apps/live/jobs/1', '#dag svg .dag-node', 'ui-job.png');
    await shoot('#/apps/live/jobs/1/stages/0', '#timeline svg .task-bar', 'ui-stage.png');
  } finally {
    await browser.close();
  }
} finally {
  await obs.close();
  await q.close();
}
