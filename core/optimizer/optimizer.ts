// The optimizer driver: applies the ordered rule list to a fixpoint, checking every rewrite.
import { DataError, InternalError, QuiverError } from '../../ops/errors.ts';
import { typeEquals, typeToString, type FieldJSON } from '../../ops/types.ts';
import { planChildren, type LogicalPlan } from '../plan/node.ts';
import { withChildren } from './rebuild.ts';
import type { OptimizerContext, OptimizerRule, RewriteResult } from './rule.ts';
import { OPTIMIZER_RULES } from './rules/index.ts';
import { createEstimator, type Statistics } from './stats.ts';

/** Spark's spark.sql.autoBroadcastJoinThreshold default. */
export const DEFAULT_BROADCAST_THRESHOLD_BYTES = 10 * 1024 * 1024;
/** Passes over the rule list before giving up on a fixpoint (the plan is still valid then). */
export const DEFAULT_MAX_PASSES = 10;

export interface OptimizeOptions {
  /** Default 10 MiB; a negative value disables broadcast joins. */
  broadcastThresholdBytes?: number;
  /** Shuffled joins whose build side may be broadcast, or probe side filtered by its keys, become 'adaptive' (see ChooseJoinStrategy); default false. */
  adaptiveJoins?: boolean;
  maxPasses?: number;
  /** Replaces the rule list (tests, experiments). */
  rules?: readonly OptimizerRule[];
  /** Replaces the size estimator. */
  estimate?: (node: LogicalPlan) => Statistics;
}

export interface RuleFiring {
  /** 1-based pass over the rule list. */
  readonly pass: number;
  readonly rule: string;
}

export interface OptimizeTrace {
  readonly plan: LogicalPlan;
  /** Every rule application that changed the plan, in order. */
  readonly fired: readonly RuleFiring[];
  readonly passes: number;
  /** False when maxPasses ran out while rules still changed the plan. */
  readonly converged: boolean;
}

export function optimize(plan: LogicalPlan, options: OptimizeOptions = {}): LogicalPlan {
  return optimizeWithTrace(plan, options).plan;
}

/** Like optimize, also saying which rules fired in which pass (for explain and tests). */
export function optimizeWithTrace(plan: LogicalPlan, options: OptimizeOptions = {}): OptimizeTrace {
  const rules = options.rules ?? OPTIMIZER_RULES;
  const maxPasses = options.maxPasses ?? DEFAULT_MAX_PASSES;
  const ctx: OptimizerContext = {
    broadcastThresholdBytes: options.broadcastThresholdBytes ?? DEFAULT_BROADCAST_THRESHOLD_BYTES,
    adaptiveJoins: options.adaptiveJoins ?? false,
    estimate: options.estimate ?? createEstimator(),
  };
  const fired: RuleFiring[] = [];
  let current = plan;
  let passes = 0;
  let converged = false;
  while (passes < maxPasses) {
    passes++;
    let changed = false;
    for (const rule of rules) {
      const r = applyRule(rule, current, ctx);
      if (r.changed) {
        fired.push({ pass: passes, rule: rule.name });
        current = r.node;
        changed = true;
      }
    }
    if (!changed) {
      converged = true;
      break;
    }
  }
  return { plan: current, fired, passes, converged };
}

function applyRule(rule: OptimizerRule, plan: LogicalPlan, ctx: OptimizerContext): RewriteResult {
  return (rule.applyOrder ?? 'topDown') === 'root' ? applyAt(rule, plan, ctx) : applyTopDown(rule, plan, ctx);
}

/** The rule on `node`, then on the children of what it returned. */
function applyTopDown(rule: OptimizerRule, node: LogicalPlan, ctx: OptimizerContext): RewriteResult {
  const here = applyAt(rule, node, ctx);
  const kids = planChildren(here.node);
  let kidsChanged = false;
  const next = kids.map((k) => {
    const r = applyTopDown(rule, k, ctx);
    if (r.changed) kidsChanged = true;
    return r.node;
  });
  // Rebuilt through the constructor (not withPlanChildren) so narrowed nullability propagates.
  return kidsChanged ? { node: withChildren(here.node, next), changed: true } : here;
}

function applyAt(rule: OptimizerRule, node: LogicalPlan, ctx: OptimizerContext): RewriteResult {
  let r: RewriteResult;
  try {
    r = rule.rewrite(node, ctx);
  } catch (e) {
    throw withRuleContext(rule.name, e);
  }
  if (r.changed !== (r.node !== node)) {
    throw new InternalError(`rule '${rule.name}' reported changed=${r.changed} but ${r.node === node ? 'returned the same' : 'returned a different'} ${node.kind} node`);
  }
  if (r.changed) checkSchemaKept(rule.name, node, r.node);
  return r;
}

const showFields = (fs: readonly FieldJSON[]): string =>
  `[${fs.map((f) => `${f.name}: ${typeToString(f.type)}${f.nullable ? '' : ' not null'}`).join(', ')}]`;

/**
 * Names and types MUST be identical; nullability may narrow (a folded literal is never null) but
 * never widen: operators above may rely on a column declared not null.
 */
function checkSchemaKept(rule: string, before: LogicalPlan, after: LogicalPlan): void {
  const a = before.schema;
  const b = after.schema;
  const same = a.length === b.length && a.every((f, i) =>
    f.name === b[i].name && typeEquals(f.type, b[i].type) && (f.nullable || !b[i].nullable));
  if (!same) {
    throw new InternalError(`rule '${rule}' changed the output schema of ${before.kind} from ${showFields(a)} to ${showFields(b)}`);
  }
}

/** Rethrows with the rule's name in front, keeping the class (and code) of Quiver errors. */
function withRuleContext(rule: string, e: unknown): QuiverError {
  const message = `rule '${rule}' failed: ${e instanceof Error ? e.message : String(e)}`;
  if (!(e instanceof QuiverError)) return new InternalError(message, { cause: e });
  const out = new QuiverError(e.code, message, { cause: e });
  Object.setPrototypeOf(out, Object.getPrototypeOf(e));
  out.name = e.name;
  if (e instanceof DataError) Object.assign(out, { location: e.location });
  return out;
}
