// Console progress bars, one per running stage ("[Stage 2:====>      (12 + 2) / 40] 31,200 rows/s", plus each half's busy rate for photo tagging), redrawn in place on a terminal.
import type { ObsState, StageState } from './state.ts';

/** Where bars are drawn: a terminal stream (process.stdout). */
export interface ProgressOutput {
  write(s: string): unknown;
  columns?: number;
}

export interface ProgressOptions {
  /** Redraw at most this often (default 200 ms). */
  intervalMs?: number;
  /** A stage gets a bar once it has run this long, so quick jobs do not flicker (default 500 ms). */
  delayMs?: number;
  /** The clock (tests pass their own). */
  now?: () => number;
}

/**
 * Draws the running stages of `state` on one line, rewritten with '\r', and clears it when no
 * stage runs. Call `update()` after each event; redraws are throttled. The owner MUST call
 * `close()`, which clears the line and stops the timer.
 */
export class ConsoleProgress {
  private readonly intervalMs: number;
  private readonly delayMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private lastDraw = 0;
  /** Length of the line on screen (0: nothing drawn). */
  private shown = 0;

  constructor(private readonly state: ObsState, private readonly out: ProgressOutput, o: ProgressOptions = {}) {
    this.intervalMs = o.intervalMs ?? 200;
    this.delayMs = o.delayMs ?? 500;
    this.now = o.now ?? Date.now;
  }

  /** Something changed: redraw now or at the next tick. While stages run, rates refresh every tick. */
  update(): void {
    // No job running: clear at once, before the caller prints what the job returned.
    const wait = this.anyRunning() ? Math.max(0, this.lastDraw + this.intervalMs - this.now()) : 0;
    if (wait === 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.draw();
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = null; this.draw(); }, wait);
    this.timer.unref();
  }

  /** The bar line for the stages running now ('' when none has run for delayMs yet). */
  line(): string {
    const now = this.now();
    const stages: StageState[] = [];
    for (const job of this.state.jobs) {
      if (job.status !== 'running') continue;
      for (const st of job.stages) if (st.status === 'running' && st.start !== null && now - st.start >= this.delayMs) stages.push(st);
    }
    if (stages.length === 0) return '';
    // A pseudo-terminal without a size reports 0 columns: take 80 then.
    const width = Math.max(40, (this.out.columns || 80) - 1);
    const each = Math.floor(width / stages.length);
    return stages.slice(0, Math.max(1, Math.floor(width / 40))).map((st) => bar(st, each, now)).join(' ');
  }

  private draw(): void {
    this.lastDraw = this.now();
    const line = this.line();
    if (line === '' && this.shown === 0) return;
    // Pad over what was on screen before: '\r' moves back but does not erase.
    this.out.write(`\r${line}${' '.repeat(Math.max(0, this.shown - line.length))}${line === '' ? '\r' : ''}`);
    this.shown = line.length;
    // Keep rates fresh while stages run, and draw stages that pass delayMs without an event.
    if (this.anyRunning()) {
      this.timer = setTimeout(() => { this.timer = null; this.draw(); }, this.intervalMs);
      this.timer.unref();
    }
  }

  private anyRunning(): boolean {
    return this.state.jobs.some((j) => j.status === 'running');
  }

  /** Clears the line and stops redrawing. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.shown > 0) this.out.write(`\r${' '.repeat(this.shown)}\r`);
    this.shown = 0;
  }
}

/**
 * "[Stage 2:====>      (12 + 2) / 40] 31,200 rows/s" in at most `width` characters. A stage that
 * decodes or infers images adds its halves' busy rates ("(busy: decode 7,100/s, infer 9,900/s)")
 * while they leave the bar at least MIN_BAR characters: the bar goes last, the halves first.
 */
export function bar(st: StageState, width: number, now: number): string {
  const header = `[Stage ${st.stageId}:`;
  const tailer = `(${st.done} + ${st.running}) / ${st.partitions}]`;
  let rate = rateText(st, now);
  const halves = rate ? halvesText(st) : '';
  if (halves && width - header.length - tailer.length - rate.length - 1 - halves.length - 1 >= MIN_BAR) rate = `${rate} ${halves}`;
  const w = Math.max(0, width - header.length - tailer.length - (rate ? rate.length + 1 : 0));
  let body = '';
  if (w > 0) {
    const filled = Math.floor((w * st.done) / Math.max(1, st.partitions));
    body = '='.repeat(filled) + (filled < w ? '>' : '') + ' '.repeat(Math.max(0, w - filled - 1));
  }
  return `${header}${body}${tailer}${rate ? ` ${rate}` : ''}`;
}

/** Seconds a stage runs before its rate shows. */
const RATE_AFTER_S = 1;
/** Bar characters the halves' rates leave at least; below that they are dropped. */
const MIN_BAR = 10;

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Output rows (images, for a stage that runs predict) per second since the stage started, once a task has finished. */
function rateText(st: StageState, now: number): string {
  if (st.start === null || st.rows === 0) return '';
  const s = (now - st.start) / 1000;
  // A rate over the first moments says little; long stages are the ones worth a rate.
  if (s < RATE_AFTER_S) return '';
  const unit = st.placements.length > 0 ? 'images/s' : 'rows/s';
  return `${count(st.rows / s)} ${unit}`;
}

/**
 * The two halves of a pipelined photo-tagging stage, each as images per second of its own busy
 * time (decoded / decode seconds, inferred / inference seconds, over finished tasks), '' when
 * the stage has neither. Per busy second, not per wall second: decode runs in every task slot
 * at once and overlaps inference, so these say how fast each half works, not how many images
 * the stage puts out (the wall-clock rate before them). A half with images but no measured time
 * has no rate and is left out.
 */
function halvesText(st: StageState): string {
  const p = st.pipeline;
  const parts: string[] = [];
  if (p.decoded > 0 && p.decodeMs > 0) parts.push(`decode ${count(p.decoded / (p.decodeMs / 1000))}/s`);
  if (p.inferred > 0 && p.inferMs > 0) parts.push(`infer ${count(p.inferred / (p.inferMs / 1000))}/s`);
  return parts.length ? `(busy: ${parts.join(', ')})` : '';
}
