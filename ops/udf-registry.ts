// The per-process registry of loaded scalar UDFs and UDAFs: loaded (async) before a task runs, read (sync) by the evaluator.
import { InternalError, PlanError } from './errors.ts';
import type { UdfRef } from './expr/node.ts';
import { importExport } from './user-module.ts';

/** What a scalar UDF is called with: its argument columns as Arrow Vectors, then { numRows }. */
export type ScalarUdf = (...args: unknown[]) => unknown;

/**
 * A user-defined aggregate. `state` is any JSON value (it crosses stages as JSON text between
 * the partial and the final aggregate, and goes to spill files the same way), or with the UDAF's
 * stateType a value of that type (see ops/aggregate/udaf.ts):
 *   init() -> the state of a group with no rows yet
 *   update(state, values: Vector) -> the state after the group's next values (nulls included)
 *   merge(a, b) -> the state of both groups' rows together
 *   finish(state) -> the group's value, of the promised returnType (null allowed)
 * Every function MUST be pure: it may be called for any split of a group's rows.
 */
export interface Udaf {
  init(): unknown;
  update(state: unknown, values: unknown): unknown;
  merge(a: unknown, b: unknown): unknown;
  finish(state: unknown): unknown;
}

export type UdfKind = 'udf' | 'udaf';

const loaded = new Map<string, unknown>();
const keyOf = (kind: UdfKind, r: UdfRef): string => `${kind}\u0000${r.module}\u0000${r.export}`;

/** The start of every message about this user function. */
export function udfWhere(kind: UdfKind, r: UdfRef): string {
  return `${kind === 'udf' ? 'UDF' : 'UDAF'} '${r.export}' from module '${r.module}'`;
}

/** Imports and checks every function in `refs` (once per process); PlanError naming the one that is wrong. */
export async function preloadUdfs(refs: readonly { kind: UdfKind; udf: UdfRef }[]): Promise<void> {
  for (const { kind, udf } of refs) {
    const key = keyOf(kind, udf);
    if (loaded.has(key)) continue;
    const where = udfWhere(kind, udf);
    const x = await importExport(udf, where);
    if (kind === 'udf' && typeof x !== 'function') {
      throw new PlanError(`${where}: export '${udf.export}' is ${describe(x)}, expected a function (...columns: Vector[]) => Vector | typed array | array`);
    }
    if (kind === 'udaf') {
      const missing = ['init', 'update', 'merge', 'finish'].filter((k) => typeof (x as Record<string, unknown> | null)?.[k] !== 'function');
      if (missing.length) {
        throw new PlanError(`${where}: export '${udf.export}' is ${describe(x)} without the function(s) ${missing.join(', ')}; a UDAF is an object { init(), update(state, values), merge(a, b), finish(state) }`);
      }
    }
    loaded.set(key, x);
  }
}

/** A function preloadUdfs loaded in this process; InternalError when the task runner did not preload it. */
export function loadedUdf(r: UdfRef): ScalarUdf {
  const f = loaded.get(keyOf('udf', r));
  if (f === undefined) throw new InternalError(`${udfWhere('udf', r)} was not loaded before its task ran`);
  return f as ScalarUdf;
}

export function loadedUdaf(r: UdfRef): Udaf {
  const f = loaded.get(keyOf('udaf', r));
  if (f === undefined) throw new InternalError(`${udfWhere('udaf', r)} was not loaded before its task ran`);
  return f as Udaf;
}

/**
 * Every UDF and UDAF referenced anywhere in a plan's JSON (expression nodes { kind: 'udf' }
 * and { kind: 'agg', fn: 'udaf' }), in the order met, without repeats.
 */
export function udfRefsIn(plan: unknown): { kind: UdfKind; udf: UdfRef }[] {
  const out = new Map<string, { kind: UdfKind; udf: UdfRef }>();
  const stack: unknown[] = [plan];
  while (stack.length) {
    const x = stack.pop();
    if (typeof x !== 'object' || x === null) continue;
    const o = x as Record<string, unknown>;
    if (o.kind === 'udf' && isRef(o.udf)) out.set(keyOf('udf', o.udf), { kind: 'udf', udf: o.udf });
    if (o.kind === 'agg' && o.fn === 'udaf' && typeof o.udaf === 'object' && o.udaf !== null && isRef((o.udaf as { udf?: unknown }).udf)) {
      const udf = (o.udaf as { udf: UdfRef }).udf;
      out.set(keyOf('udaf', udf), { kind: 'udaf', udf });
    }
    for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) stack.push(v);
  }
  return [...out.values()];
}

function isRef(x: unknown): x is UdfRef {
  return typeof x === 'object' && x !== null && typeof (x as UdfRef).module === 'string' && typeof (x as UdfRef).export === 'string';
}

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (typeof x !== 'object') return `a ${typeof x}`;
  return `an object (${(x as object).constructor?.name ?? 'no constructor'})`;
}
