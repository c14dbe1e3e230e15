// The capacity plan beside the measured runs, for the web UI's Plan page: the planner fitted to this application's own jobs, and its prediction for their configuration (or a what-if).
import { fitStates } from '../../capacity/fit.ts';
import { planFits, type CapacityPlan, type PlanOptions } from '../../capacity/plan.ts';
import type { ObsState } from '../state.ts';

/** What-if parameters the page may pass (the rest of PlanOptions is the planner's defaults). */
const PARAMS = ['executors', 'workers', 'gpus', 'cores', 'target', 'latencyP99'] as const;

/**
 * The plan for `state`'s succeeded jobs, each job shape with its stages measured (median wall
 * time over its runs) and predicted (makespan plus gap at the configuration asked, by default the
 * one that ran). A log the planner cannot use, or a bad parameter, is `error`, not an exception.
 */
export function planView(name: string, state: ObsState, query: URLSearchParams): { plan: CapacityPlan | null; error: string | null; params: Record<string, string> } {
  const params: Record<string, string> = {};
  for (const k of PARAMS) {
    const v = query.get(k);
    if (v !== null && v.trim() !== '') params[k] = v.trim().slice(0, 64);
  }
  try {
    const fits = fitStates([{ file: name, state }], name);
    return { plan: planFits(fits, params as Omit<PlanOptions, 'events'>), error: null, params };
  } catch (e) {
    return { plan: null, error: (e as Error).message, params };
  }
}
