// bench/photos.ts --quick: the benchmark runs to the end as a child process and writes photos.json with every section's figures (no timing is asserted).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'quiver-photos-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('bench/photos.ts --quick', () => {
  it('exits 0 and writes photos.json with every section, and the chart', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/photos.ts', '--quick', '--runs', '1', '--out', out], { maxBuffer: 64 * 2 ** 20, timeout: 170_000 });
    expect(stdout).toMatch(/AVX-512: (yes|no), AVX2: (yes|no)/);
    const r = JSON.parse(readFileSync(join(out, 'photos.json'), 'utf8'));
    expect(Object.keys(r)).toEqual(expect.arrayContaining(['machine', 'runs', 'inference', 'webgpu', 'endToEnd', 'fmnistPng', 'peakRss']));
    expect(r.machine.cpu).toEqual(expect.any(String));
    expect(r.inference.map((x: { contender: string }) => x.contender)).toEqual(expect.arrayContaining(['onnxruntime-node', 'quiver-onnxruntime', 'quiver-wasm']));
    expect(r.inference.find((x: { contender: string }) => x.contender === 'onnxruntime-node').img_s).toBeGreaterThan(0);
    expect(r.webgpu).toHaveProperty('rows');
    expect(r.endToEnd.length).toBeGreaterThan(0);
    expect(r.fmnistPng.rows.map((x: { backend: string }) => x.backend)).toEqual(['auto (calibrated)', 'onnxruntime', 'wasm', 'webgpu']);
    expect(r.peakRss.images).toBe(1024);
    expect(r.peakRss.maxRssMB).toBeGreaterThan(0);
    expect(existsSync(join(out, 'photos.png')) && existsSync(join(out, 'photos.svg'))).toBe(true);
  }, 180_000);
});
