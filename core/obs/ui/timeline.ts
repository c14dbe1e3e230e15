// A stage's task timeline as SVG: lanes per executor (as many as attempts overlap), a bar per attempt from dispatch to end (to now while running), its run time shaded.
import type { StageState, TaskAttempt } from '../state.ts';
import { clip, esc, fmtMs, STATUS_COLORS } from './svg.ts';

const LANE_H = 18;
const LABEL_W = 130;
const AXIS_H = 22;
const PAD = 10;

/** Lanes per executor: each attempt in the first lane free at its start (greedy interval packing). */
export function assignLanes(attempts: readonly TaskAttempt[], now: number): { executor: string; lane: number; a: TaskAttempt }[] {
  const byExec = new Map<string, number[]>(); // executor -> end time of each lane
  const out: { executor: string; lane: number; a: TaskAttempt }[] = [];
  const sorted = [...attempts].sort((x, y) => x.start - y.start || x.partition - y.partition || x.attempt - y.attempt);
  for (const a of sorted) {
    const lanes = byExec.get(a.executor) ?? [];
    byExec.set(a.executor, lanes);
    const end = a.end ?? now;
    let lane = lanes.findIndex((busyUntil) => busyUntil <= a.start);
    if (lane < 0) { lane = lanes.length; lanes.push(end); } else lanes[lane] = end;
    out.push({ executor: a.executor, lane, a });
  }
  return out;
}

/** The timeline of `stage` at time `now` (epoch ms), `width` pixels wide. */
export function renderTimelineSvg(stage: StageState, now: number, width = 960): string {
  const placed = assignLanes(stage.attempts, now);
  const execs = [...new Set(placed.map((p) => p.executor))].sort();
  const laneCount = new Map<string, number>();
  for (const p of placed) laneCount.set(p.executor, Math.max(laneCount.get(p.executor) ?? 0, p.lane + 1));
  const rowOf = new Map<string, number>();
  let rows = 0;
  for (const x of execs) { rowOf.set(x, rows); rows += laneCount.get(x)!; }

  // Loops, not Math.min(...spread): a stage can have more attempts than a call has arguments.
  let t0 = stage.start ?? Infinity, t1 = stage.end ?? -Infinity;
  for (const p of placed) { t0 = Math.min(t0, p.a.start); t1 = Math.max(t1, p.a.end ?? now); }
  t1 = Math.max(t1, t0 + 1);
  const plotW = width - LABEL_W - PAD * 2;
  const height = AXIS_H + Math.max(1, rows) * LANE_H + PAD * 2;
  if (placed.length === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${width}" height="40" font-family="system-ui, 'DejaVu Sans', sans-serif"><text x="${PAD}" y="24" font-size="12" fill="#64748b">No task has started yet.</text></svg>`;
  }
  const x = (t: number): number => LABEL_W + PAD + ((t - t0) / (t1 - t0)) * plotW;

  const parts: string[] = [];
  // Axis: about 8 ticks at a round step.
  const span = t1 - t0;
  const step = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000].find((s) => span / s <= 8) ?? Math.ceil(span / 8);
  for (let t = 0; t <= span; t += step) {
    parts.push(`<line x1="${x(t0 + t)}" x2="${x(t0 + t)}" y1="${AXIS_H - 4}" y2="${height - PAD}" stroke="#e2e8f0"/>`);
    parts.push(`<text x="${x(t0 + t)}" y="${AXIS_H - 8}" font-size="10" text-anchor="middle" fill="#64748b">${esc(fmtMs(t))}</text>`);
  }
  for (const ex of execs) {
    const r = rowOf.get(ex)!;
    const n = laneCount.get(ex)!;
    parts.push(`<rect x="0" y="${AXIS_H + r * LANE_H}" width="${width}" height="${n * LANE_H}" fill="${r % 2 ? '#f8fafc' : '#ffffff'}"/>`);
    parts.push(`<text x="${PAD}" y="${AXIS_H + r * LANE_H + 13}" font-size="11" fill="#334155">${esc(clip(ex, 18))}</text>`);
  }
  for (const { executor, lane, a } of placed) {
    const y = AXIS_H + (rowOf.get(executor)! + lane) * LANE_H + 3;
    const end = a.end ?? now;
    const w = Math.max(2, x(end) - x(a.start));
    const runW = a.durationMs === null ? 0 : Math.min(w, (a.durationMs / (t1 - t0)) * plotW);
    const c = STATUS_COLORS[a.status];
    const tip = `partition ${a.partition}, attempt ${a.attempt} on ${a.executor}: ${a.status}${a.durationMs !== null ? `, ${fmtMs(a.durationMs)}` : ''}${a.rows ? `, ${a.rows} rows` : ''}${a.error ? `: ${a.error}` : ''}`;
    parts.push(`<g class="task-bar" data-partition="${a.partition}" data-status="${a.status}"><title>${esc(tip)}</title>`
      + `<rect x="${x(a.start).toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${LANE_H - 6}" rx="2" fill="${c.fill}" stroke="${c.stroke}"${a.speculative ? ' stroke-dasharray="3 2"' : ''}/>`
      // The executor's run time, at the end of the bar; before it: queueing and transfer.
      + (runW > 1 ? `<rect x="${(x(a.start) + w - runW).toFixed(1)}" y="${y + 1}" width="${runW.toFixed(1)}" height="${LANE_H - 8}" fill="${c.stroke}" fill-opacity="0.35"/>` : '')
      + (w > 24 ? `<text x="${(x(a.start) + 3).toFixed(1)}" y="${y + 9}" font-size="9" fill="#0f172a">${a.partition}${a.attempt ? `.${a.attempt}` : ''}</text>` : '')
      + '</g>');
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'DejaVu Sans', sans-serif">${parts.join('')}</svg>`;
}
