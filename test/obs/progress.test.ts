import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { progressWanted } from '../../core/obs/attach.ts';
import { bar, ConsoleProgress } from '../../core/obs/progress.ts';
import { applyEvent, emptyState } from '../../core/obs/state.ts';
import type { RuntimeEvent } from '../../core/runtime/events.ts';

const udf = resolve(import.meta.dirname, '../fixtures/obs/udf.ts');

/** A stage of `n` tasks at t=0, `done` finished (100 rows each, with `metrics`) and `running` started by `at`. */
function stageAt(n: number, done: number, running: number, predict = false, metrics?: Record<string, number>) {
  const s = emptyState();
  const ev: RuntimeEvent[] = [
    { kind: 'jobStart', ts: 0, jobId: 0, stages: [{ id: 0, partitions: n, parents: [], output: 'result' }, { id: 2, partitions: n, parents: [0], output: 'result' }] },
    { kind: 'stageStart', ts: 0, jobId: 0, stageId: 0, tasks: n },
  ];
  if (predict) ev.push({ kind: 'placement', ts: 0, jobId: 0, stageId: 0, operator: 'predict m', device: 'gpu', reason: 'asked for gpu' });
  for (let p = 0; p < done + running; p++) ev.push({ kind: 'taskStart', ts: 10, jobId: 0, stageId: 0, partition: p, attempt: 0, executor: 'local' });
  for (let p = 0; p < done; p++) ev.push({ kind: 'taskEnd', ts: 900, jobId: 0, stageId: 0, partition: p, attempt: 0, executor: 'local', ok: true, durationMs: 890, rows: 100, ...(metrics ? { metrics } : {}) });
  for (const e of ev) applyEvent(s, e);
  return s;
}

describe('console progress', () => {
  it('draws a Spark-like bar with done + running / total and the rate', () => {
    const s = stageAt(40, 12, 2);
    const st = s.jobs[0].stages[0];
    // 1,200 rows in 2 s.
    expect(bar(st, 60, 2000)).toBe(`[Stage 0:${'='.repeat(7)}>${' '.repeat(18)}(12 + 2) / 40] 600 rows/s`);
    expect(bar(st, 60, 2000)).toHaveLength(60);
    // No rate in a stage's first second.
    expect(bar(st, 60, 500)).toMatch(/\/ 40\]$/);
    const full = bar(stageAt(4, 4, 0).jobs[0].stages[0], 40, 1000);
    expect(full).toMatch(/^\[Stage 0:=+\(4 \+ 0\) \/ 4\] 400 rows\/s$/);
    expect(full).toHaveLength(40);
    // Too narrow for a bar: the counts still show.
    expect(bar(stageAt(4, 4, 0).jobs[0].stages[0], 20, 1000)).toBe('[Stage 0:(4 + 0) / 4] 400 rows/s');
    // A predict stage counts images.
    expect(bar(stageAt(10, 5, 1, true).jobs[0].stages[0], 50, 1000)).toMatch(/\(5 \+ 1\) \/ 10\] 500 images\/s$/);
    // Before any task finished: no rate.
    expect(bar(stageAt(10, 0, 2).jobs[0].stages[0], 40, 1000)).toMatch(/^\[Stage 0:> +\(0 \+ 2\) \/ 10\]$/);
  });

  it("shows a photo-tagging stage's decode and inference rates per busy second, dropped before the bar when narrow", () => {
    // Each finished task decoded 100 images in 20 ms of reader time and inferred them in 10 ms of model time.
    const tagging = { imagesDecoded: 100, imagesDecodeMs: 20, predictRows: 100, predictMs: 10 };
    const st = stageAt(40, 12, 2, true, tagging).jobs[0].stages[0];
    const halves = '(busy: decode 5,000/s, infer 10,000/s)';
    // 1,200 images in 2 s of wall time; 1,200 decoded in 240 ms busy, 1,200 inferred in 120 ms busy.
    const wide = bar(st, 100, 2000);
    expect(wide).toMatch(/^\[Stage 0:=+> +\(12 \+ 2\) \/ 40\] 600 images\/s \(busy: decode 5,000\/s, infer 10,000\/s\)$/);
    expect(wide).toHaveLength(100);
    // Narrow: the halves go, the bar stays as it was without them.
    const plain = bar(stageAt(40, 12, 2, true).jobs[0].stages[0], 60, 2000);
    expect(plain).toMatch(/=+> +\(12 \+ 2\) \/ 40\] 600 images\/s$/);
    expect(bar(st, 60, 2000)).toBe(plain);
    // The boundary: shown while the bar keeps 10 characters, dropped at 9.
    const fixed = '[Stage 0:'.length + '(12 + 2) / 40]'.length + ' 600 images/s'.length + 1 + halves.length;
    expect(bar(st, fixed + 10, 2000)).toContain(halves);
    expect(bar(st, fixed + 10, 2000)).toHaveLength(fixed + 10);
    expect(bar(st, fixed + 9, 2000)).not.toContain('busy');
    // Only images read (no predict): the decode half alone.
    const reading = stageAt(10, 5, 1, false, { imagesDecoded: 100, imagesDecodeMs: 40 }).jobs[0].stages[0];
    expect(bar(reading, 100, 1000)).toMatch(/\] 500 rows\/s \(busy: decode 2,500\/s\)$/);
    // A half with images but no measured time has no rate to show.
    const instant = stageAt(10, 5, 1, true, { predictRows: 100, predictMs: 0 }).jobs[0].stages[0];
    expect(bar(instant, 100, 1000)).toMatch(/\] 500 images\/s$/);
    // Not in the first second, with the stage's own rate.
    expect(bar(st, 100, 500)).toMatch(/\/ 40\]$/);
    // The console line of a wide terminal carries them (first drawn once the throttle interval has passed).
    const s = stageAt(40, 12, 2, true, tagging);
    const written: string[] = [];
    const p = new ConsoleProgress(s, { write: (x: string) => written.push(x), columns: 121 }, { delayMs: 0, intervalMs: 10_000, now: () => 10_000 });
    p.update();
    p.close();
    expect(written[0]).toMatch(/^\r\[Stage 0:=+> +\(12 \+ 2\) \/ 40\] 120 images\/s \(busy: decode 5,000\/s, infer 10,000\/s\)$/);
    expect(written[0]).toHaveLength(121);
  });

  it('redraws in place, waits delayMs before showing a stage, and clears the line as soon as the job ends', () => {
    const s = stageAt(8, 2, 1);
    let now = 100;
    const written: string[] = [];
    const p = new ConsoleProgress(s, { write: (x: string) => written.push(x), columns: 50 }, { delayMs: 500, intervalMs: 10_000, now: () => now });
    p.update();
    expect(written).toEqual([]); // the stage has run 100 ms only (and the next draw is 10 s away)
    now = 10_000;
    p.update();
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^\r\[Stage 0:=+>\s+\(2 \+ 1\) \/ 8\] 20 rows\/s$/);
    applyEvent(s, { kind: 'jobEnd', ts: 10_001, jobId: 0, ok: true, durationMs: 10_001, tasks: 8, failedAttempts: 0 });
    now = 10_001;
    p.update(); // within the throttle interval, yet drawn now: the caller may print next
    expect(written[1]).toBe(`\r${' '.repeat(written[0].length - 1)}\r`);
    p.close();
    expect(written).toHaveLength(2);
  });

  it('takes 80 columns on a pseudo-terminal that reports 0', () => {
    const s = stageAt(8, 2, 1);
    const written: string[] = [];
    const p = new ConsoleProgress(s, { write: (x: string) => written.push(x), columns: 0 }, { delayMs: 0, intervalMs: 10_000, now: () => 10_000 });
    p.update();
    expect(written[0].length - 1).toBe(79);
    p.close();
  });

  it('is on for a terminal unless quiet, off otherwise unless asked', () => {
    const tty = { write: () => true, isTTY: true };
    const pipe = { write: () => true };
    expect(progressWanted({}, tty)).toBe(true);
    expect(progressWanted({ quiet: true }, tty)).toBe(false);
    expect(progressWanted({ progress: false }, tty)).toBe(false);
    expect(progressWanted({}, pipe)).toBe(false);
    expect(progressWanted({ progress: true }, pipe)).toBe(true);
    expect(progressWanted({ progress: true, quiet: true }, pipe)).toBe(false);
  });

  it('follows a real job from its events', async () => {
    const q = await Quiver.local({ workers: 2 });
    const s = emptyState();
    const lines: string[] = [];
    const out = { write: (x: string) => { lines.push(x); }, columns: 80 };
    const p = new ConsoleProgress(s, out, { delayMs: 0, intervalMs: 0 });
    q.onEvent((e) => { applyEvent(s, e); p.update(); });
    try {
      const rows = Array.from({ length: 8 }, (_, x) => ({ x }));
      await q.createDataFrame(rows, { partitions: 8 }).mapBatches({ module: udf, export: 'slow' }, { options: { ms: 30 } }).collect();
    } finally {
      p.close();
      await q.close();
    }
    const bars = lines.filter((l) => l.includes('[Stage'));
    expect(bars.length).toBeGreaterThan(0);
    expect(bars.some((l) => /\(\d \+ [12]\) \/ 8\]/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^\r *\r$/);
  });
});
