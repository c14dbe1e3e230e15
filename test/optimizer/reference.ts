// A row-at-a-time reference interpreter of logical plans (expressions via the runtime evaluator).
import { assertNever } from '../../ops/errors.ts';
import { exprName, type ExprNode, type LiteralValue } from '../../ops/expr/node.ts';
import type { FieldJSON } from '../../ops/types.ts';
import type { LogicalPlan } from '../../core/plan/node.ts';
import { pairSources } from '../../core/plan/join.ts';
import { joinPairFields } from '../../core/plan/schema.ts';
import { evalRows, type Row } from './helpers.ts';

/** Rows of scans (by first path) and values (by id). */
export type Tables = Readonly<Record<string, readonly Row[]>>;

/** The only UDF the reference knows: returns its input. */
export const IDENTITY_UDF = { module: 'test:identity', export: 'identity' } as const;

const evalOn = (e: ExprNode, fields: readonly FieldJSON[], rows: readonly Row[]): LiteralValue[] =>
  rows.length === 0 ? [] : evalRows(e, fields, rows);

const pick = (row: Row, names: readonly string[]): Row => Object.fromEntries(names.map((n) => [n, row[n] ?? null]));
const names = (p: LogicalPlan): string[] => p.schema.map((f) => f.name);

function cmp(a: LiteralValue, b: LiteralValue): number {
  if (a === b) return 0;
  if (typeof a === 'boolean' || typeof b === 'boolean') return Number(a) - Number(b);
  return (a as number | string) < (b as number | string) ? -1 : 1;
}

export function runPlan(p: LogicalPlan, tables: Tables): Row[] {
  switch (p.kind) {
    case 'scan': {
      let rows = [...(tables[p.source.paths[0]] ?? [])];
      for (const flt of p.filters) {
        const keep = evalOn(flt, p.fileSchema, rows);
        rows = rows.filter((_, i) => keep[i] === true);
      }
      rows = rows.map((r) => pick(r, names(p)));
      return p.limit === null ? rows : rows.slice(0, p.limit);
    }
    case 'values': return (tables[p.id] ?? []).map((r) => pick(r, names(p)));
    case 'project': {
      const input = runPlan(p.input, tables);
      const cols = p.exprs.map((e) => evalOn(e, p.input.schema, input));
      return input.map((_, i) => Object.fromEntries(p.schema.map((f, j) => [f.name, cols[j][i]])));
    }
    case 'filter': {
      const input = runPlan(p.input, tables);
      const keep = evalOn(p.predicate, p.input.schema, input);
      return input.filter((_, i) => keep[i] === true);
    }
    case 'aggregate': return runAggregate(p, runPlan(p.input, tables));
    case 'join': return runJoin(p, runPlan(p.left, tables), runPlan(p.right, tables));
    case 'sort': {
      const input = runPlan(p.input, tables);
      const keys = p.keys.map((k) => {
        const s = k.kind === 'sort' ? k : { arg: k, ascending: true, nullsFirst: true };
        return { ...s, vals: evalOn(s.arg, p.input.schema, input) };
      });
      const idx = input.map((_, i) => i);
      idx.sort((x, y) => {
        for (const k of keys) {
          const a = k.vals[x];
          const b = k.vals[y];
          if (a === null || b === null) {
            if (a === b) continue;
            return (a === null) === k.nullsFirst ? -1 : 1;
          }
          const c = cmp(a, b);
          if (c !== 0) return k.ascending ? c : -c;
        }
        return x - y;
      });
      return idx.map((i) => input[i]);
    }
    case 'limit': return runPlan(p.input, tables).slice(p.offset, p.offset + p.n);
    case 'distinct': {
      const seen = new Set<string>();
      return runPlan(p.input, tables).filter((r) => {
        const k = JSON.stringify(names(p).map((n) => r[n]));
        return seen.has(k) ? false : (seen.add(k), true);
      });
    }
    case 'union': {
      const out = names(p);
      return p.inputs.flatMap((input) => runPlan(input, tables).map((r) => Object.fromEntries(input.schema.map((f, j) => [out[j], r[f.name]]))));
    }
    case 'repartition': case 'cache': case 'subqueryAlias': case 'watermark': return runPlan(p.input, tables);
    case 'mapBatches':
      if (p.udf.module !== IDENTITY_UDF.module) throw new Error(`reference: unknown udf ${p.udf.module}`);
      return runPlan(p.input, tables);
    // Random plans (gen.ts) hold no models: predict only appears in hand-written plans.
    case 'predict': throw new Error('reference: predict is not modelled');
    case 'sample': case 'generate': throw new Error(`reference: ${p.kind} is not modelled`);
    case 'window': throw new Error('reference: window is not modelled');
    case 'streamScan': throw new Error('reference: streamScan is not modelled');
    default: return assertNever(p, 'plan node');
  }
}

function runAggregate(p: Extract<LogicalPlan, { kind: 'aggregate' }>, input: Row[]): Row[] {
  const fields = p.input.schema;
  const keyCols = p.groupBy.map((g) => evalOn(g, fields, input));
  const aggs = p.aggs.map((a) => {
    const inner = (a.kind === 'alias' ? a.arg : a) as Extract<ExprNode, { kind: 'agg' }>;
    return { name: exprName(a), fn: inner.fn, vals: inner.arg ? evalOn(inner.arg, fields, input) : null };
  });
  const groups = new Map<string, number[]>();
  input.forEach((_, i) => {
    const k = JSON.stringify(keyCols.map((c) => c[i]));
    const g = groups.get(k);
    if (g) g.push(i);
    else groups.set(k, [i]);
  });
  if (p.groupBy.length === 0 && groups.size === 0) groups.set('[]', []);
  const out: Row[] = [];
  for (const idx of groups.values()) {
    const row: Row = {};
    p.groupBy.forEach((g, j) => { row[p.schema[j].name] = idx.length ? keyCols[j][idx[0]] : null; });
    for (const a of aggs) {
      const vs = a.vals ? idx.map((i) => a.vals![i]) : [];
      const nn = vs.filter((v) => v !== null);
      switch (a.fn) {
        case 'countStar': row[a.name] = idx.length; break;
        case 'count': row[a.name] = nn.length; break;
        case 'countDistinct': row[a.name] = new Set(nn.map((v) => JSON.stringify(v))).size; break;
        case 'sumDistinct': case 'avgDistinct': {
          const xs = [...new Set(nn as number[])];
          row[a.name] = xs.length ? xs.reduce((s, v) => s + v, 0) / (a.fn === 'avgDistinct' ? xs.length : 1) : null;
          break;
        }
        case 'sum': row[a.name] = nn.length ? (nn as number[]).reduce((s, v) => s + v, 0) : null; break;
        case 'avg': row[a.name] = nn.length ? (nn as number[]).reduce((s, v) => s + v, 0) / nn.length : null; break;
        case 'min': row[a.name] = nn.length ? nn.reduce((m, v) => (cmp(v, m) < 0 ? v : m)) : null; break;
        case 'max': row[a.name] = nn.length ? nn.reduce((m, v) => (cmp(v, m) > 0 ? v : m)) : null; break;
        case 'first': row[a.name] = vs.length ? vs[0] : null; break;
        case 'last': row[a.name] = vs.length ? vs[vs.length - 1] : null; break;
        case 'singleValue':
          if (vs.length > 1) throw new Error('reference: a scalar subquery returned more than one row');
          row[a.name] = vs.length ? vs[0] : null;
          break;
        case 'varSamp': case 'varPop': case 'stddevSamp': case 'stddevPop': {
          const xs = nn as number[], samp = a.fn === 'varSamp' || a.fn === 'stddevSamp';
          const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
          const v = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (samp ? xs.length - 1 : xs.length);
          row[a.name] = xs.length < (samp ? 2 : 1) ? null : a.fn.startsWith('stddev') ? Math.sqrt(v) : v;
          break;
        }
        // Random plans (gen.ts) draw none of these: rows here hold scalars, and a percentile is approximate.
        case 'collectList': case 'collectSet': case 'percentileApprox': case 'udaf': throw new Error(`reference: ${a.fn} is not modelled`);
        default: assertNever(a.fn, 'aggregate');
      }
    }
    out.push(row);
  }
  return out;
}

function runJoin(p: Extract<LogicalPlan, { kind: 'join' }>, left: Row[], right: Row[]): Row[] {
  const lk = p.leftKeys.map((k) => evalOn(k, p.left.schema, left));
  const rk = p.rightKeys.map((k) => evalOn(k, p.right.schema, right));
  const keysMatch = (i: number, j: number) => lk.every((c, n) => c[i] !== null && rk[n][j] !== null && c[i] === rk[n][j]);
  // The residual condition, on the pair row (left columns, then right, under the pair's names).
  const sources = p.how === 'semi' || p.how === 'anti' ? [] : pairSources(p);
  const pairFields = p.filter ? joinPairFields(p.left.schema, p.right.schema) : [];
  const cond = (i: number, j: number): boolean => {
    if (!p.filter) return true;
    const row = Object.fromEntries(pairSources(p).map((s) => [s.name, (s.side === 'left' ? left[i] : right[j])[s.input] ?? null]));
    return evalOn(p.filter, pairFields, [row])[0] === true;
  };
  const matches = (i: number, j: number) => keysMatch(i, j) && cond(i, j);
  const sourceOf = new Map(sources.map((s) => [s.name, s] as const));
  const usingNames = new Set(p.using ? p.leftKeys.map(exprName) : []);
  const emit = (l: Row | null, r: Row | null): Row => Object.fromEntries(p.schema.map((f) => {
    const n = f.name;
    if (usingNames.has(n)) {
      const fromRight = r === null ? null : r[exprName(p.rightKeys[p.leftKeys.findIndex((k) => exprName(k) === n)])];
      const v = p.how === 'right' ? fromRight : p.how === 'full' ? (l === null ? fromRight : l[n]) : l![n];
      return [n, v ?? null];
    }
    const s = sourceOf.get(n)!;
    return [n, (s.side === 'left' ? l?.[s.input] : r?.[s.input]) ?? null];
  }));
  const out: Row[] = [];
  const rightMatched = new Set<number>();
  left.forEach((l, i) => {
    const ms = right.map((_, j) => j).filter((j) => matches(i, j));
    if (p.how === 'semi') { if (ms.length) out.push(pick(l, names(p))); return; }
    if (p.how === 'anti') { if (!ms.length) out.push(pick(l, names(p))); return; }
    for (const j of ms) { out.push(emit(l, right[j])); rightMatched.add(j); }
    if (!ms.length && (p.how === 'left' || p.how === 'full')) out.push(emit(l, null));
  });
  if (p.how === 'right' || p.how === 'full') right.forEach((r, j) => { if (!rightMatched.has(j)) out.push(emit(null, r)); });
  return out;
}
