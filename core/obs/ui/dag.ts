// A job's stage DAG as SVG: stages in columns by depth (parents left of children), edges for shuffles and broadcasts, each node linking to its stage page.
import type { JobState, StageState } from '../state.ts';
import { clip, esc, STATUS_COLORS } from './svg.ts';

const NODE_W = 200;
const GAP_X = 64;
const GAP_Y = 24;
const PAD = 16;
const LINE = 15;
/** Operators listed in a node before "+N more". */
const MAX_OPS = 6;

interface Placed { st: StageState; x: number; y: number; h: number; ops: string[] }

/** Column of each stage: 0 for stages without parents, else one right of its deepest parent. */
export function stageDepths(stages: readonly StageState[]): number[] {
  const depth: number[] = new Array(stages.length).fill(-1);
  const visit = (i: number, guard: number): number => {
    if (depth[i] >= 0) return depth[i];
    // A cycle cannot come from a planner; the guard keeps a corrupt log from recursing forever.
    if (guard > stages.length) return 0;
    const ps = stages[i].parents.filter((p) => p >= 0 && p < stages.length);
    depth[i] = ps.length === 0 ? 0 : 1 + Math.max(...ps.map((p) => visit(p, guard + 1)));
    return depth[i];
  };
  stages.forEach((_, i) => visit(i, 0));
  return depth;
}

/**
 * The DAG of `job` as a standalone SVG document. Node links are `${linkBase}/stages/<id>`
 * (the page's hash routes); every text is escaped.
 */
export function renderDagSvg(job: JobState, linkBase: string): string {
  const stages = job.stages;
  const depth = stageDepths(stages);
  const columns: number[][] = [];
  stages.forEach((_, i) => (columns[depth[i]] ??= []).push(i));
  const placed: Placed[] = new Array(stages.length);
  let height = 0;
  columns.forEach((ids, c) => {
    let y = PAD;
    for (const i of ids) {
      const st = stages[i];
      // Operators in data-flow order (inputs first); without a jobPlan, what the stage outputs.
      const all = st.operators ? st.name.split(/ > |\(|\)| \+ /).map((s) => s.trim()).filter(Boolean) : [`-> ${st.output}`];
      const ops = all.length > MAX_OPS ? [...all.slice(0, MAX_OPS - 1), `+${all.length - MAX_OPS + 1} more`] : all;
      const h = 44 + ops.length * LINE + 24;
      placed[i] = { st, x: PAD + c * (NODE_W + GAP_X), y, h, ops };
      y += h + GAP_Y;
    }
    height = Math.max(height, y - GAP_Y + PAD);
  });
  const width = PAD * 2 + Math.max(1, columns.length) * NODE_W + Math.max(0, columns.length - 1) * GAP_X;

  const edges: string[] = [];
  for (const p of placed) {
    for (const parent of p.st.parents) {
      const from = placed[parent];
      if (!from) continue;
      const x1 = from.x + NODE_W, y1 = from.y + from.h / 2, x2 = p.x - 6, y2 = p.y + p.h / 2;
      const mx = (x1 + x2) / 2;
      edges.push(`<path class="dag-edge" data-from="${parent}" data-to="${p.st.stageId}" d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}" fill="none" stroke="#64748b" stroke-width="1.5" marker-end="url(#arrow)"/>`);
      const label = from.st.output.replace(/ into \d+$/, '');
      edges.push(`<text x="${mx}" y="${Math.min(y1, y2) - 6}" text-anchor="middle" font-size="10" fill="#64748b">${esc(clip(label, 12))}</text>`);
    }
  }

  const nodes = placed.map(({ st, x, y, h, ops }) => {
    const c = STATUS_COLORS[st.status];
    const barW = NODE_W - 20;
    const doneW = st.partitions ? (barW * st.done) / st.partitions : 0;
    const runW = st.partitions ? (barW * Math.min(st.running, st.partitions - st.done)) / st.partitions : 0;
    const place = st.placements.length ? ` · ${st.placements.map((p) => p.device.toUpperCase()).join('/')}` : '';
    const lines = ops.map((op, k) => `<text x="${x + 10}" y="${y + 44 + k * LINE}" font-size="12" fill="#0f172a">${esc(clip(op, 27))}</text>`).join('');
    const barY = y + h - 18;
    return `<a href="${esc(`${linkBase}/stages/${st.stageId}`)}" class="dag-link"><g class="dag-node" data-stage="${st.stageId}" data-status="${st.status}">`
      + `<title>${esc(`Stage ${st.stageId}: ${st.name} (${st.status}, ${st.done}/${st.partitions} tasks)`)}</title>`
      + `<rect x="${x}" y="${y}" width="${NODE_W}" height="${h}" rx="8" fill="${c.fill}" stroke="${c.stroke}" stroke-width="1.5"${st.status === 'skipped' ? ' stroke-dasharray="4 3"' : ''}/>`
      + `<text x="${x + 10}" y="${y + 18}" font-size="13" font-weight="600" fill="#0f172a">Stage ${st.stageId}${esc(place)}</text>`
      + `<text x="${x + NODE_W - 10}" y="${y + 18}" font-size="11" text-anchor="end" fill="${c.stroke}">${esc(st.status)}</text>`
      + `<line x1="${x + 8}" x2="${x + NODE_W - 8}" y1="${y + 27}" y2="${y + 27}" stroke="${c.stroke}" stroke-opacity="0.3"/>`
      + lines
      + `<rect x="${x + 10}" y="${barY}" width="${barW}" height="8" rx="3" fill="#ffffff" stroke="#cbd5e1"/>`
      + (doneW > 0 ? `<rect x="${x + 10}" y="${barY}" width="${doneW.toFixed(1)}" height="8" rx="3" fill="#16a34a"/>` : '')
      + (runW > 0 ? `<rect x="${(x + 10 + doneW).toFixed(1)}" y="${barY}" width="${runW.toFixed(1)}" height="8" fill="#60a5fa"/>` : '')
      + `<text x="${x + NODE_W - 10}" y="${barY - 3}" font-size="10" text-anchor="end" fill="#475569">${st.done}/${st.partitions} tasks</text>`
      + '</g></a>';
  });

  return `<svg xmlns="http://www.w3.org/2000/svg" class="dag" width="${width}" height="${Math.max(height, 60)}" viewBox="0 0 ${width} ${Math.max(height, 60)}" font-family="system-ui, -apple-system, 'DejaVu Sans', sans-serif">`
    + '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#64748b"/></marker></defs>'
    + edges.join('') + nodes.join('') + '</svg>';
}
