// bench/stream.ts --quick: the streaming benchmark runs to the end as a child process (its own nats-server) and writes stream.json with every section and the chart (no timing is asserted).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'quiver-stream-bench-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('bench/stream.ts --quick', () => {
  it('exits 0 and writes stream.json with throughput, latency and backlog reading for Quiver and the raw loop, every event counted once, streaming vs batch predict with the same tags, and the chart', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/stream.ts', '--quick', '--events', '2000', '--seconds', '1', '--out', out], { maxBuffer: 16 * 2 ** 20, timeout: 110_000 });
    expect(stdout).toMatch(/^full speed\s+quiver\s+2000\s/m);
    const r = JSON.parse(readFileSync(join(out, 'stream.json'), 'utf8'));
    expect(Object.keys(r)).toEqual(expect.arrayContaining(['machine', 'quick', 'date', 'throughput', 'latency', 'backlog']));
    expect(r.quick).toBe(true);
    for (const run of [r.throughput.quiver, r.throughput.raw, r.latency.quiver, r.latency.raw]) {
      expect(run.counted).toBe(run.events);
      expect(run.eventsPerSecond).toBeGreaterThan(0);
      expect(run.p99Ms).toBeGreaterThanOrEqual(run.p50Ms);
      expect(run.batches).toBeGreaterThan(0);
    }
    // The backlog run: the events were in the stream before each reader started.
    expect(stdout).toMatch(/^backlog\s+quiver\s+2000\s/m);
    for (const run of [r.backlog.quiver, r.backlog.raw]) {
      expect(run).toEqual(expect.objectContaining({ events: 2000, counted: 2000 }));
      expect(run.eventsPerSecond).toBeGreaterThan(0);
    }
    expect(r.throughput.quiver.events).toBe(2000);
    expect(r.latency.ratePerSecond).toBe(Math.max(1, Math.round(r.throughput.quiver.eventsPerSecond / 2)));
    expect(r.latency.quiver.events).toBe(r.latency.raw.events);
    // Streaming predict: the same 300 PNGs tagged the same from JetStream bytes as from the files.
    expect(stdout).toMatch(/^stream \(jetstream bytes -> predict, \d+ batches\)\s+300\s/m);
    expect(r.predict).toEqual(expect.objectContaining({ images: 300, sameTags: true }));
    expect(r.predict.streamImagesPerSecond).toBeGreaterThan(0);
    expect(r.predict.ratio).toBeCloseTo(r.predict.streamImagesPerSecond / r.predict.batchImagesPerSecond, 6);
    expect(existsSync(join(out, 'stream.png')) && existsSync(join(out, 'stream.svg'))).toBe(true);
  }, 120_000);
});
