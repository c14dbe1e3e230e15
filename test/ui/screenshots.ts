// Writes the UI screenshots under docs/ (docs/OBSERVABILITY.md and the README show them): a photo tagging job seen in the web UI.
//
//   npx tsx test/ui/screenshots.ts            # needs chromium (apt-get install -y chromium) and Fashion-MNIST
import { resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { col, fn, Quiver } from '../../core/index.ts';

const FMNIST = process.env.FMNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const DOCS = resolve(import.meta.dirname, '../../docs');

const q = await Quiver.local({ workers: 2, ui: 0, quiet: true });

try {
  const model = q.model(resolve(import.meta.dirname, '../../models/fmnist-mlp'));
  const images = q.read.idx(`${FMNIST}/*-images-idx3-ubyte.gz`, { labels: true }).withColumnRenamed('label', 'truth');
  await images.count();
  const tags = images.predict(model, { device: 'auto' });
  const perLabel = tags.groupBy('label').agg(fn.count().alias('images'), fn.avg(col('score')).alias('meanScore')).orderBy(col('images').desc());
  await perLabel.collect();

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    const shoot = async (hash: string, ready: string, file: string) => {
      await page.goto(`${q.uiUrl}/${hash}`);
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
  await q.close();
}
