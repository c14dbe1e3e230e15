import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runQuiver, runQuiverInProcess } from './run-quiver.ts';
import { Quiver } from '../../core/index.ts';
import { program } from '../../core/cli/main.ts';
import { runRepoScript } from '../../core/cli/run-script.ts';
import { inputFormat, outputFormat } from '../../core/cli/tag-command.ts';
import { writeFmnistFiles } from '../../examples/lib/fmnist-files.ts';

const bin = resolve(import.meta.dirname, '../../bin/quiver.mjs');
const FMNIST = process.env.FMNIST_DIR ?? '/usr/share/datasets/fashion-mnist';

const quiver = runQuiver;

const inProcess = runQuiverInProcess;

describe('quiver command line', () => {
  afterEach(() => { process.exitCode = undefined; });

  it('documents every command, and each has its own --help', async () => {
    const p = program();
    const names = p.commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(['demo', 'tag', 'train', 'executor', 'ui', 'bench', 'explain']));
    for (const c of p.commands) {
      const help = c.helpInformation();
      expect(help).toContain(`Usage: quiver ${c.name()}`);
      expect(help).toContain('-h, --help');
    }
    const tag = p.commands.find((c) => c.name() === 'tag')!.helpInformation();
    for (const f of ['--model <path>', '--input <path>', '--output <path>', '--device <device>']) expect(tag).toContain(f);
    expect(p.commands.find((c) => c.name() === 'ui')!.helpInformation()).toContain('--events <dir>');

    const top = await quiver(['--help']);
    expect(top.code).toBe(0);
    for (const n of ['demo', 'tag', 'train', 'executor', 'ui', 'bench', 'explain', '--verbose']) expect(top.out).toContain(n);
  });

  it('prints an error as one line, and its stack with --verbose', async () => {
    const r = await inProcess(['explain', 'no-such-job.ts']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('quiver: explain: no-such-job.ts does not exist');
    const v = await inProcess(['explain', 'no-such-job.ts', '--verbose']);
    expect(v.err.split('\n')[0]).toBe('quiver: explain: no-such-job.ts does not exist');
    expect(v.err).toMatch(/\n\s+at /);
    expect((await inProcess(['bench', 'nope'])).err).toBe('quiver: unknown benchmark \'nope\': use one of tagging, kernels, logs, tasks, cluster');
  });

  it('explain prints the plans of the DataFrame a file builds, and says what the file must export', async () => {
    const job = resolve(import.meta.dirname, '../fixtures/obs/explain-job.ts');
    const r = await inProcess(['explain', job, '--workers', '2']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/== Logical Plan ==\nAggregate: groupBy=\[k\] aggs=\[sum\(x\) AS total\]/);
    expect(r.out).toContain('== Physical Plan ==\nStage 0 (2 tasks) -> shuffle 0');
    const bad = await inProcess(['explain', job, '--export', 'notAJob']);
    expect(bad.err).toMatch(/has no export 'notAJob' that is a function; export a function that builds a DataFrame/);
  });

  it('tag writes the tags of every image, without the images', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-tag-'));
    const out = join(dir, 'tags.parquet');
    // The first 500 test images, as a raw IDX file.
    const all = gunzipSync(readFileSync(`${FMNIST}/t10k-images-idx3-ubyte.gz`));
    const small = Buffer.from(all.subarray(0, 16 + 500 * 784));
    small.writeUInt32BE(500, 4);
    const input = join(dir, 'small-images-idx3-ubyte');
    writeFileSync(input, small);
    const r = await quiver(['tag', '--model', resolve(import.meta.dirname, '../../models/fmnist-mlp'), '--input', input, '--output', out, '--device', 'cpu', '--top-k', '2', '--workers', '1', '--no-ui']);
    expect(r.err).toBe(''); // Dawn's lavapipe warnings included: bin/dawn-stderr.mjs filters them
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^tagged 500 images in [\d.]+ s \([\d,]+ images\/s\) with fmnist-mlp -> /);
    const q = await Quiver.local({ workers: 1 });
    try {
      const df = q.read.parquet(out);
      expect(df.columns).toEqual(['labelId', 'label', 'score', 'topIds', 'topScores']);
      expect(await df.count()).toBe(500);
    } finally {
      await q.close();
    }
  });

  it('tag runs an ONNX model over image files (a glob), with the size the model takes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-tag-photos-'));
    const { files } = await writeFmnistFiles({ format: 'png', dir: join(dir, 'photos'), limit: 300 });
    const out = join(dir, 'tags.parquet');
    const r = await quiver(['tag', '--model', resolve(import.meta.dirname, '../../models/fmnist-cnn/model.onnx'), '--input', join(dir, 'photos/*.png'), '--output', out, '--backend', 'onnxruntime', '--workers', '2', '--no-ui']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^tagged 300 images in [\d.]+ s \([\d,]+ images\/s\) with model -> /);
    const q = await Quiver.local({ workers: 1 });
    try {
      const rows = await q.read.parquet(out).toArray();
      expect(rows.map((x) => x.path)).toEqual(files);
      const correct = rows.filter((x) => String(x.path).endsWith(`_${x.labelId}.png`)).length;
      expect(correct / rows.length).toBeGreaterThan(0.85);
    } finally {
      await q.close();
    }
  }, 120_000);

  it('tag tells input and output formats from their names', () => {
    expect(inputFormat('/d/t10k-images-idx3-ubyte.gz')).toBe('idx');
    expect(inputFormat('/d/*.parquet')).toBe('parquet');
    expect(inputFormat('x.arrow')).toBe('arrow');
    expect(inputFormat('photos/*.jpg')).toBe('images');
    expect(inputFormat('photos/*.{jpg,png}')).toBe('images');
    expect(inputFormat('IMG_0001.JPEG')).toBe('images');
    expect(inputFormat(import.meta.dirname)).toBe('images'); // a directory: its image files
    expect(() => inputFormat('x.bin')).toThrow(/cannot tell the format of --input x\.bin/);
    expect(outputFormat('o.JSONL')).toBe('json');
    expect(() => outputFormat('o')).toThrow(/name it \*\.parquet/);
  });

  it('ui serves past jobs from an event log directory until it gets SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-ui-cmd-'));
    writeFileSync(join(dir, 'events-a.jsonl'), [
      { kind: 'jobStart', ts: 1000, jobId: 0, stages: [{ id: 0, partitions: 1, parents: [], output: 'result' }] },
      { kind: 'jobEnd', ts: 2000, jobId: 0, ok: true, durationMs: 1000, tasks: 1, failedAttempts: 0 },
    ].map((e) => JSON.stringify(e)).join('\n') + '\n');
    const p = spawn(process.execPath, [bin, 'ui', '--events', dir, '--port', '0']);
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    const exited = new Promise<number | null>((res) => p.on('close', res));
    try {
      const deadline = Date.now() + 40_000;
      while (!/ at (http:\S+)/.test(out) && Date.now() < deadline && p.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      expect(out).toMatch(/^quiver ui: 1 event log \(1 jobs\) from .* at http:\/\/127\.0\.0\.1:\d+\n$/);
      const url = / at (http:\S+)/.exec(out)![1];
      const apps = await (await fetch(`${url}/api/apps`)).json();
      expect(apps).toEqual([expect.objectContaining({ id: 'events-a', live: false, jobs: 1 })]);
    } finally {
      p.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('runs repository scripts with their flags and passes on their exit code', async () => {
    const log = vi.spyOn(console, 'log');
    try {
      expect(await runRepoScript('test/fixtures/obs/exit-code.ts', ['3', '--x'], 'test')).toBe(3);
      expect(process.exitCode).toBe(3);
    } finally {
      log.mockRestore();
      process.exitCode = undefined;
    }
    await expect(runRepoScript('examples/nope.ts', [], 'demo')).rejects.toThrow(/demo runs examples\/nope\.ts from a checkout of the Quiver repository/);
  });
});
