// A job's plans as events: explain()'s text, each stage's operators, and where predict runs and why (jobPlan and placement events).
import { displayExecTree, type ExecPlan } from '../../ops/exec-plan.ts';
import { keysToString } from '../../ops/sort/index.ts';
import { planToString } from '../optimizer/display.ts';
import { describeExec } from '../physical/build-exec.ts';
import { walkPhys, type PhysicalPlan, type Stage } from '../physical/phys-node.ts';
import type { LogicalPlan } from '../plan/node.ts';
import type { RuntimeEvent } from '../runtime/events.ts';

/** The physical section of explain(): one header per stage, its operator tree indented below. */
export function physicalPlanText(physical: PhysicalPlan): string {
  return physical.stages.map((s) => `${stageHeader(s)}\n${indent(operatorsOf(s), 2)}`).join('\n');
}

/** explain()'s text for a planned job: logical, optimized and physical (staged) plans. */
export function explainText(logical: LogicalPlan, optimized: LogicalPlan, physical: PhysicalPlan): string {
  return [
    '== Logical Plan ==', planToString(logical),
    '', '== Optimized Logical Plan ==', planToString(optimized),
    '', '== Physical Plan ==', physicalPlanText(physical),
  ].join('\n');
}

/**
 * The events that describe job `jobId`'s plans: one jobPlan, then one placement per predict
 * operator. A session MUST emit them right after the job's jobStart (the UI and the event log
 * show plans and placements from them alone). Never throws: a stage whose operators cannot be
 * displayed shows the error instead.
 */
export function planEvents(jobId: number, logical: LogicalPlan, optimized: LogicalPlan, physical: PhysicalPlan, ts = Date.now()): RuntimeEvent[] {
  const stages = physical.stages.map((s) => {
    let exec: ExecPlan | null = null;
    try { exec = describeExec(s.root); } catch { /* shown as the error text below */ }
    return { id: s.id, name: exec ? chainName(exec) : s.root.op, operators: exec ? displayExecTree(exec) : `(cannot display stage ${s.id})` };
  });
  const events: RuntimeEvent[] = [{
    kind: 'jobPlan', ts, jobId,
    logical: safe(() => planToString(logical)),
    optimized: safe(() => planToString(optimized)),
    physical: physical.stages.map((s, i) => `${stageHeader(s)}\n${indent(stages[i].operators, 2)}`).join('\n'),
    stages,
  }];
  for (const s of physical.stages) {
    walkPhys(s.root, (n) => {
      if (n.op === 'predict') events.push({ kind: 'placement', ts, jobId, stageId: s.id, operator: `predict ${n.spec.modelName}`, device: n.device, backend: n.backend, reason: n.reason });
    });
  }
  return events;
}

function stageHeader(s: Stage): string {
  const out = s.output.kind === 'shuffle'
    ? `${s.output.range ? 'range ' : ''}shuffle ${s.output.shuffleId}: ${s.output.range ? keysToString(s.output.keys) : s.output.keys.length ? `hash(${s.output.keys.map((k) => JSON.stringify(k.kind === 'column' ? k.name : k)).join(', ')})` : 'gather'} into ${s.output.partitions} partition${s.output.partitions === 1 ? '' : 's'}`
    : s.output.kind === 'broadcast' ? `broadcast ${s.output.id}` : s.output.kind === 'cache' ? `cache ${s.output.cacheId} (${s.output.partitions} partitions)` : 'result';
  const parents = s.parents.length ? ` after stage ${s.parents.join(', ')}` : '';
  return `Stage ${s.id} (${s.partitions} task${s.partitions === 1 ? '' : 's'}${parents}) -> ${out}`;
}

function operatorsOf(s: Stage): string {
  return displayExecTree(describeExec(s.root));
}

/** "MemoryScan > Filter > HashAggregate": leaves first; several inputs in parentheses joined by " + ". */
export function chainName(e: ExecPlan): string {
  const short = e.name.replace(/Exec$/, '');
  if (e.children.length === 0) return short;
  if (e.children.length === 1) return `${chainName(e.children[0])} > ${short}`;
  return `(${e.children.map(chainName).join(' + ')}) > ${short}`;
}


function safe(f: () => string): string {
  try { return f(); } catch (e) { return `(cannot display: ${(e as Error).message})`; }
}

function indent(s: string, n: number): string {
  return s.split('\n').map((l) => ' '.repeat(n) + l).join('\n');
}
