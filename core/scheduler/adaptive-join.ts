// Adaptive joins at run time: a shuffled join whose build side's shuffle output turns out small runs as a broadcast join (Spark AQE's join strategy switch), or one with few build rows drops the probe rows without a partner before their shuffle (a runtime filter).
import { InternalError } from '../../ops/errors.ts';
import { physChildren, walkPhys, withPhysChildren, type PhysicalPlan, type PhysNode, type Stage } from '../physical/phys-node.ts';
import { buildMayBroadcast, probeMayFilter } from '../optimizer/build-side.ts';
import type { MapOutput } from '../runtime/runtime.ts';
import { TASK_BOUND } from './coalesce.ts';

/** A stage's adaptive join (PhysNode hashJoin `adaptive`) and the stages writing its two inputs. */
export interface AdaptiveJoin {
  /** The stage that joins (reads both shuffles). */
  join: number;
  /** The stage writing the build side's shuffle: it runs first. */
  build: number;
  /** The stage writing the probe side's shuffle: it waits for the build stage, and is skipped when the join is broadcast. */
  probe: number;
}

/**
 * The adaptive joins of a plan that can switch: the join stage's output goes to another stage, or
 * is the result where `resultMayChange` (a result read partition by partition in order keeps its
 * planned partitions; a cache's are fixed), it reads no shuffle but the join's two and runs no
 * task-bound operator (its tasks become the probe stage's), and the probe side's shuffle is read
 * by the join stage alone (it is never written once the join is broadcast).
 */
export function adaptiveJoins(plan: PhysicalPlan, resultMayChange: boolean): AdaptiveJoin[] {
  const writer = new Map<number, Stage>();
  const readers = new Map<number, number>();
  for (const st of plan.stages) {
    if (st.output.kind === 'shuffle') writer.set(st.output.shuffleId, st);
    walkPhys(st.root, (n) => { if (n.op === 'shuffleRead' || n.op === 'cacheRead') readers.set(n.shuffleId, (readers.get(n.shuffleId) ?? 0) + 1); });
  }
  const out: AdaptiveJoin[] = [];
  for (const st of plan.stages) {
    if (st.output.kind === 'cache' || (st.output.kind === 'result' && !resultMayChange)) continue;
    const joins: Extract<PhysNode, { op: 'hashJoin' }>[] = [];
    let reads = 0, bound = false;
    walkPhys(st.root, (n) => {
      if (n.op === 'hashJoin' && n.adaptive) joins.push(n);
      if (n.op === 'shuffleRead') reads++;
      if (TASK_BOUND.has(n.op)) bound = true;
    });
    if (joins.length !== 1 || reads !== 2 || bound) continue;
    const j = joins[0];
    const [b, p] = j.buildSide === 'left' ? [j.left, j.right] : [j.right, j.left];
    if (b.op !== 'shuffleRead' || p.op !== 'shuffleRead' || b.whole || p.whole) continue;
    const build = writer.get(b.shuffleId), probe = writer.get(p.shuffleId);
    if (!build || !probe || build === probe || readers.get(p.shuffleId) !== 1 || probe.output.kind !== 'shuffle' || probe.output.fixed || probe.output.range) continue;
    out.push({ join: st.id, build: build.id, probe: probe.id });
  }
  return out;
}

/** Bytes of every block a stage's tasks wrote, or null when one is not known. */
export function outputBytes(outputs: readonly (MapOutput | null)[]): number | null {
  let total = 0;
  for (const m of outputs) {
    if (!m?.bytes) return null;
    for (const b of m.bytes) total += b;
  }
  return total;
}

/**
 * The join stage run as a broadcast join, when the build stage's output (written) is at most
 * `maxBytes`: the join's probe input becomes the probe stage's own operators (so the join stage
 * has the probe stage's tasks and reads what it read), its build input every reduce partition of
 * the build side's shuffle (`whole`). Null when the build side is too big or its size unknown.
 */
export function broadcastJoinStage(plan: PhysicalPlan, a: AdaptiveJoin, buildOutputs: readonly (MapOutput | null)[], maxBytes: number): { stage: Stage; buildBytes: number } | null {
  const buildBytes = outputBytes(buildOutputs);
  if (buildBytes === null || buildBytes > maxBytes) return null;
  const joinStage = plan.stages[a.join], probe = plan.stages[a.probe];
  if (!buildMayBroadcast(joinOf(joinStage).how, joinOf(joinStage).buildSide)) return null;
  const rewrite = (n: PhysNode): PhysNode => {
    if (n.op !== 'hashJoin' || !n.adaptive) return withPhysChildren(n, physChildren(n).map(rewrite));
    const { adaptive: _, ...planned } = n;
    const build = n.buildSide === 'left' ? n.left : n.right;
    const whole: PhysNode = { ...(build as Extract<PhysNode, { op: 'shuffleRead' }>), whole: true };
    return n.buildSide === 'left' ? { ...planned, left: whole, right: probe.root } : { ...planned, left: probe.root, right: whole };
  };
  const parents = [...new Set([...joinStage.parents.filter((p) => p !== a.probe), ...probe.parents])];
  return { stage: { ...joinStage, root: rewrite(joinStage.root), partitions: probe.partitions, parents }, buildBytes };
}

/** The adaptive hashJoin of a join stage (adaptiveJoins found exactly one). */
function joinOf(st: Stage): Extract<PhysNode, { op: 'hashJoin' }> {
  let j: Extract<PhysNode, { op: 'hashJoin' }> | null = null;
  walkPhys(st.root, (n) => { if (n.op === 'hashJoin' && n.adaptive) j = n; });
  if (!j) throw new InternalError(`invariant violated: stage ${st.id} has no adaptive join`);
  return j;
}

/**
 * The probe stage with its rows filtered by the build side's keys before they are shuffled (a
 * semi join against every reduce partition of the build side's shuffle), where the build stage
 * wrote at most `maxRows` rows (every probe task builds a table of them) and dropping probe rows
 * without a partner changes no row of the join (probeMayFilter). Null otherwise.
 */
export function keyFilteredProbeStage(plan: PhysicalPlan, a: AdaptiveJoin, buildOutputs: readonly (MapOutput | null)[], maxRows: number): { stage: Stage; buildRows: number } | null {
  let buildRows = 0;
  for (const m of buildOutputs) {
    if (!m) return null;
    for (const r of m.rows) buildRows += r;
  }
  const j = joinOf(plan.stages[a.join]);
  if (buildRows > maxRows || !probeMayFilter(j.how, j.buildSide)) return null;
  const probe = plan.stages[a.probe];
  const [build, probeKeys, buildKeys] = j.buildSide === 'left' ? [j.left, j.rightKeys, j.leftKeys] : [j.right, j.leftKeys, j.rightKeys];
  const filter: PhysNode = {
    op: 'hashJoin', how: 'semi', leftKeys: probeKeys, rightKeys: buildKeys, using: false, buildSide: 'right', broadcast: false,
    outputFields: probe.fields, left: probe.root, right: { ...(build as Extract<PhysNode, { op: 'shuffleRead' }>), whole: true },
  };
  return { stage: { ...probe, root: filter, parents: [...new Set([...probe.parents, a.build])] }, buildRows };
}
