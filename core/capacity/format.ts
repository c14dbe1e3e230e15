// The capacity plan as text, for `quiver plan`: the fit per stage, the sizing for the target, the what-if, and the assumptions.
import type { JobShapeFit } from './fit.ts';
import type { CapacityPlan, PipelinePlan, WhatIf } from './plan.ts';

/** Aligned columns; numbers already formatted. */
function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (xs: string[]) => xs.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('  ').trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n');
}

const num = (x: number, digits = 0): string => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '∞');
const ms = (x: number): string => (!Number.isFinite(x) ? '∞' : x >= 1000 ? `${num(x / 1000, 2)} s` : `${num(x, x < 10 ? 2 : 0)} ms`);
const pct = (x: number): string => (Number.isFinite(x) ? `${num(100 * x, 0)}%` : '∞');

function fitText(f: JobShapeFit): string {
  const rows = f.stages.map((s) => [
    `${s.index} ${s.name}`, s.device, num(s.taskMs.n), num(s.rowsPerTask.mean), ms(s.taskMs.mean), num(s.taskMs.cv, 2), ms(s.taskMs.p99),
    s.overheadFitted ? ms(s.overheadMs) : '0 (one size)', `${num(s.msPerRow * 1000, 3)} µs`, num(s.rowsPerRecord, 3), ms(s.gapMs),
  ]);
  return [
    `job: ${f.name} — ${f.runs} run${f.runs === 1 ? '' : 's'} on ${f.executors} executor${f.executors === 1 ? '' : 's'}, ${f.slots} worker slot${f.slots === 1 ? '' : 's'}; ${num(f.records)} input records per run; measured ${num(f.measured.recordsPerSecond)} records/s (median run ${ms(f.measured.jobMs.p50)})`,
    f.rowsMeasured ? '' : 'note: the log has no inputRows task metrics (recorded by an older version): rows are the stages\' output rows',
    table(['stage', 'device', 'tasks fitted', 'rows/task', 'mean', 'cv', 'p99', 'overhead', 'per row', 'rows/record', 'gap'], rows),
    'service time per task: gamma fitted by moments around overhead + per row × rows',
  ].filter(Boolean).join('\n');
}

function pipelineText(p: PipelinePlan): string {
  const rows = p.stages.map((s) => [
    s.name, s.device, num(s.servers), ms(s.serviceMs),
    pct(s.model.utilization), s.simulated ? pct(s.simulated.utilization) : '-',
    num(s.model.meanQueue, 2), s.simulated ? num(s.simulated.meanQueue, 2) : '-',
    ms(s.model.p99Ms), s.simulated ? ms(s.simulated.p99Ms) : '-',
  ]);
  const lat = p.latencyMs;
  return [
    table(['stage', 'device', 'servers', 'service', 'util', 'util(sim)', 'queue', 'queue(sim)', 'p99', 'p99(sim)'], rows),
    `bottleneck: ${p.bottleneck}; capacity ${num(p.capacity)} records/s (target ${num(p.target)}/s, ${num(p.batchRecords)} records per task)`,
    `latency: mean ${ms(lat.model.mean)}${lat.simulated ? ` (simulated ${ms(lat.simulated.mean)})` : ''}, p99 ${ms(lat.model.p99)}${lat.simulated ? ` (simulated ${ms(lat.simulated.p99)})` : ''}${p.simulatedThroughput !== null ? `; simulated throughput ${num(p.simulatedThroughput)} records/s` : ''}`,
    `needs: ${p.totals.workers} worker thread${p.totals.workers === 1 ? '' : 's'} (${p.totals.executors} executor${p.totals.executors === 1 ? '' : 's'})${p.totals.gpus ? `, ${p.totals.gpus} GPU${p.totals.gpus === 1 ? '' : 's'}` : ''}${p.meetsLatency ? '' : ' — the p99 goal is not met: the service times alone exceed it (smaller tasks would be needed)'}`,
  ].join('\n');
}

function whatIfText(w: WhatIf, f: JobShapeFit): string {
  const b = w.batch;
  const rows = b.stages.map((s) => [`${s.index} ${s.name}`, num(s.tasks), ms(s.taskMs), ms(s.makespanMs), ms(s.gapMs), pct(s.utilization)]);
  const out = [
    `what-if: ${w.executors} executor${w.executors === 1 ? '' : 's'} × ${w.workersPerExecutor} worker${w.workersPerExecutor === 1 ? '' : 's'}${w.gpus ? `, ${w.gpus} GPU${w.gpus === 1 ? '' : 's'}` : ''}${w.cores !== null ? ` on ${w.cores} core${w.cores === 1 ? '' : 's'}` : ''}`,
    `  batch job of ${num(b.records)} records (stages behind barriers): ${ms(b.jobMs)}, ${num(b.recordsPerSecond)} records/s (measured on ${f.slots} slot${f.slots === 1 ? '' : 's'}: ${num(f.measured.recordsPerSecond)} records/s); bottleneck: stage ${b.stages[b.bottleneck].index} ${b.stages[b.bottleneck].name}`,
    table(['stage', 'tasks', 'task', 'makespan', 'gap', 'util'], rows).replace(/^/gm, '  '),
  ];
  if (w.pipeline) out.push('  as a pipeline at the target rate:', pipelineText(w.pipeline).replace(/^/gm, '  '));
  else if (w.pipelineNote) out.push(`  as a pipeline: ${w.pipelineNote}`);
  return out.join('\n');
}

/** The whole plan, one section per job shape. */
export function planText(plan: CapacityPlan): string {
  const parts: string[] = [];
  for (const j of plan.jobs) {
    parts.push(fitText(j.fit));
    if (j.sizing) parts.push(`\nsizing for ${num(j.sizing.target)} records/s (pipelined, one queue per stage):`, pipelineText(j.sizing));
    parts.push('', whatIfText(j.whatIf, j.fit), '');
  }
  if (plan.skipped.length) parts.push(`left out (devices): ${plan.skipped.join('; ')}`);
  parts.push('assumptions:', ...plan.assumptions.map((a) => `- ${a}`));
  return parts.join('\n');
}
