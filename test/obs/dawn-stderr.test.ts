// The `quiver` command hides Dawn's two harmless lavapipe warnings (bin/dawn-stderr.mjs), keeps every other stderr byte, and shows them all with QUIVER_LOG=debug.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runQuiver } from './run-quiver.ts';
// @ts-expect-error: a plain ES module of the bin folder, without types
import { DAWN_LIMIT_WARNING, dawnWarningFilter } from '../../bin/dawn-stderr.mjs';
import { until } from '../cluster/cluster-helpers.ts';

const bin = resolve(import.meta.dirname, '../../bin/quiver.mjs');
const FMNIST = process.env.FMNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const dir = mkdtempSync(join(tmpdir(), 'quiver-dawn-stderr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const UNIFORM = 'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';
const STORAGE = 'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';

/** Pids whose parent is `pid` (from /proc: procps may not be installed). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(e));
    } catch { /* the process ended while we looked */ }
  }
  return out;
}

const run = runQuiver;

describe('Dawn warning filter', () => {
  it('drops exactly the two limit warnings, across chunk boundaries, and keeps everything else in order', () => {
    let got = '';
    const f = dawnWarningFilter((s: string) => { got += s; });
    const text = `first\n${UNIFORM}\nWarning: something else artificially reduced\n${STORAGE}\nquiver: an error\nno newline at the end`;
    for (let i = 0; i < text.length; i += 7) f.push(Buffer.from(text.slice(i, i + 7)));
    f.end();
    expect(got).toBe('first\nWarning: something else artificially reduced\nquiver: an error\nno newline at the end');
    expect(DAWN_LIMIT_WARNING.test(UNIFORM) && DAWN_LIMIT_WARNING.test(STORAGE)).toBe(true);
    expect(DAWN_LIMIT_WARNING.test(`x ${UNIFORM}`)).toBe(false);
  });

  it('quiver tag on the GPU prints nothing on stderr; QUIVER_LOG=debug shows the device and Dawn\'s lines', async () => {
    const all = gunzipSync(readFileSync(`${FMNIST}/t10k-images-idx3-ubyte.gz`));
    const small = Buffer.from(all.subarray(0, 16 + 200 * 784));
    small.writeUInt32BE(200, 4);
    const input = join(dir, 'small-images-idx3-ubyte');
    writeFileSync(input, small);
    const args = ['tag', '--model', resolve(import.meta.dirname, '../../models/fmnist-mlp'), '--input', input, '--device', 'gpu', '--workers', '1', '--no-ui'];
    const quiet = await run([...args, '--output', join(dir, 'a.parquet')]);
    expect(quiet.code, quiet.err).toBe(0);
    expect(quiet.out).toMatch(/^tagged 200 images/);
    expect(quiet.err).toBe('');
    const debug = await run([...args, '--output', join(dir, 'b.parquet')], { QUIVER_LOG: 'debug' });
    expect(debug.code, debug.err).toBe(0);
    expect(debug.err).toMatch(/quiver: GPU device opened: /);
    expect(debug.err).toContain(UNIFORM); // lavapipe: what the filter hides is really printed
  }, 120_000);

  it('the command process ends when the filtering parent is killed with SIGKILL', async () => {
    const p = spawn(process.execPath, [bin, 'ui', '--events', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    try {
      await until(() => /http:\/\/127\.0\.0\.1:\d+/.test(out), 60_000, `the UI to start:\n${out}`);
      const child = childrenOf(p.pid!)[0];
      expect(child).toBeGreaterThan(0);
      p.kill('SIGKILL');
      await until(() => { try { process.kill(child, 0); return false; } catch { return true; } }, 10_000, 'the child to exit');
    } finally {
      if (p.exitCode === null) p.kill('SIGKILL');
    }
  }, 90_000);
});
