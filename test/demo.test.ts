// The README's main job, as a user runs it: the photo-tagging demo tags a folder of 10,000 PNG photos with the CNN, and with --wait its web UI shows the jobs until Ctrl-C; Dawn's lavapipe warnings stay off stderr.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from './cluster/cluster-helpers.ts';

const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'quiver-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('photo tagging demo', () => {
  it('tags every image, serves its jobs in the web UI while --wait holds it, and exits on Ctrl-C', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.VITEST; // the UI is off under the test runner unless asked; the demo is a user's process
    // As `npm run demo` runs it: the quiver command, whose stderr filter hides Dawn's lavapipe warnings.
    const demo = spawn(process.execPath, [join(ROOT, 'bin/quiver.mjs'), 'demo', '--wait', '--out', join(dir, 'tags.parquet'), '--events', join(dir, 'events')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    demo.stdout.on('data', (d) => { out += d; });
    demo.stderr.on('data', (d) => { out += d; err += d; });
    const exited = new Promise<number | null>((r) => demo.once('exit', (code) => r(code)));
    try {
      await until(() => /stays up at (http:\/\/127\.0\.0\.1:\d+)/.test(out) || demo.exitCode !== null, 120_000, `the demo to finish its job:\n${out}`);
      const url = /stays up at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      expect(url, out).toBeDefined();
      expect(out).toMatch(/tagged 10,000 photos in [\d.]+ s/);
      expect(out).toMatch(/decode \(sharp, \d+ workers\): [\d,]+ images\/s/);
      expect(out).toMatch(/inference \(the (inference thread|workers)\): [\d,]+ images\/s/);
      expect(out).toMatch(/accuracy against the labels: 9\d\.\d\d% \([\d,]+ of 10,000; the 10,000 test images/);
      const { jobs } = await (await fetch(`${url}/api/apps/live/jobs`)).json() as { jobs: { status: string }[] };
      expect(jobs.length).toBeGreaterThanOrEqual(3);
      expect(jobs.every((j) => j.status === 'succeeded')).toBe(true);
      demo.kill('SIGINT');
      await exited;
      expect(existsSync(join(dir, 'tags.parquet'))).toBe(true);
      expect(readdirSync(join(dir, 'events')).length).toBe(1);
      expect(err).not.toMatch(/artificially reduced/);
    } finally {
      if (demo.exitCode === null) demo.kill('SIGKILL');
    }
  }, 180_000);
});
