// Size estimates of logical subtrees (rows, bytes) for cost-based rules, and row upper bounds.
import { assertNever } from '../../ops/errors.ts';
import type { FieldJSON, TypeJSON } from '../../ops/types.ts';
import type { LogicalPlan } from '../plan/node.ts';
import { passedColumn } from './expr-utils.ts';

/** An estimate; null = unknown (treated as "too big" by rules that compare against a threshold). */
export interface Statistics {
  readonly rows: number | null;
  readonly bytes: number | null;
}

/** Fraction of rows a filter (or a scan's pushed filters) is assumed to keep. */
export const FILTER_SELECTIVITY = 0.5;
/** Rows per input row an explode is assumed to give. */
const GENERATE_GROWTH = 4;
/** Fraction of input rows a grouped aggregate is assumed to produce. */
export const AGGREGATE_REDUCTION = 0.5;

/** Rough in-memory bytes per value of a type; only ratios between columns matter. */
export function typeWidth(t: TypeJSON): number {
  if (typeof t === 'object') {
    if ('list' in t) return 4 + 4 * typeWidth(t.list);
    if ('fixedList' in t) return t.size * typeWidth(t.fixedList);
    if ('struct' in t) return t.struct.reduce((s, f) => s + typeWidth(f.type), 1);
    return 4 + 4 * (typeWidth(t.map.key) + typeWidth(t.map.value));
  }
  switch (t) {
    case 'null': case 'bool': case 'int8': case 'uint8': return 1;
    case 'int16': case 'uint16': return 2;
    case 'int32': case 'uint32': case 'float32': case 'date32': return 4;
    case 'int64': case 'uint64': case 'float64': case 'timestamp_ms': return 8;
    case 'utf8': return 20;
    case 'binary': return 64;
    default: return assertNever(t, 'type');
  }
}

export const rowWidth = (fields: readonly FieldJSON[]): number => fields.reduce((s, f) => s + typeWidth(f.type), 0);

/** Bytes scaled from `from` to the columns of `to` (e.g. after a projection). */
function scaleByWidth(bytes: number | null, to: readonly FieldJSON[], from: readonly FieldJSON[]): number | null {
  if (bytes === null) return null;
  const w = rowWidth(from);
  return w === 0 ? bytes : bytes * (rowWidth(to) / w);
}

const scale = (x: number | null, f: number): number | null => (x === null ? null : x * f);
const maxOrNull = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : Math.max(a, b));
const sumOrNull = (xs: readonly (number | null)[]): number | null =>
  xs.reduce<number | null>((s, x) => (s === null || x === null ? null : s + x), 0);

function optionNumber(options: Readonly<Record<string, unknown>>, key: string): number | null {
  const v = options[key];
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}

/** An estimator that memoizes per node object (plan nodes are immutable). */
export function createEstimator(): (node: LogicalPlan) => Statistics {
  const cache = new WeakMap<LogicalPlan, Statistics>();
  const est = (node: LogicalPlan): Statistics => {
    let s = cache.get(node);
    if (!s) {
      s = estimateNode(node, est);
      cache.set(node, s);
    }
    return s;
  };
  return est;
}

/** Uncached estimate of one subtree. */
export function estimateStats(node: LogicalPlan): Statistics {
  return createEstimator()(node);
}

function estimateNode(node: LogicalPlan, est: (n: LogicalPlan) => Statistics): Statistics {
  switch (node.kind) {
    case 'scan': {
      // The driver records the source's size (ops/sources/source-stats.ts) as options.totalBytes,
      // and its rows where the files say (Parquet footers). Encoded bytes (dictionaries, RLE) can
      // be far below Arrow's: with rows known, at least rows x the row's width in memory.
      const recorded = optionNumber(node.source.options, 'totalBytes');
      const rows = optionNumber(node.source.options, 'totalRows');
      const total = rows === null || recorded === null ? recorded : Math.max(recorded, rows * rowWidth(node.fileSchema));
      const sel = node.filters.length > 0 ? FILTER_SELECTIVITY : 1;
      return { rows: scale(rows, sel), bytes: scale(scaleByWidth(total, node.schema, node.fileSchema), sel) };
    }
    case 'values': return { rows: node.rows, bytes: node.bytes };
    case 'streamScan': return { rows: null, bytes: null };
    case 'project': case 'mapBatches': case 'predict': case 'window': {
      const s = est(node.input);
      return { rows: s.rows, bytes: scaleByWidth(s.bytes, node.schema, node.input.schema) };
    }
    case 'filter': {
      const s = est(node.input);
      return { rows: scale(s.rows, FILTER_SELECTIVITY), bytes: scale(s.bytes, FILTER_SELECTIVITY) };
    }
    case 'sample': {
      const s = est(node.input);
      return { rows: scale(s.rows, node.fraction), bytes: scale(s.bytes, node.fraction) };
    }
    // Lists hold a few elements each, as a guess; the input's columns are repeated per element.
    case 'generate': {
      const s = est(node.input);
      return { rows: scale(s.rows, GENERATE_GROWTH), bytes: scale(s.bytes, GENERATE_GROWTH) };
    }
    case 'aggregate': {
      if (node.groupBy.length === 0) return { rows: 1, bytes: rowWidth(node.schema) };
      const s = est(node.input);
      return { rows: scale(s.rows, AGGREGATE_REDUCTION), bytes: scale(s.bytes, AGGREGATE_REDUCTION) };
    }
    case 'join': {
      const l = est(node.left);
      if (node.how === 'semi' || node.how === 'anti') return l;
      const r = est(node.right);
      // A cartesian product: every left row with every right row.
      if (node.leftKeys.length === 0 && node.filter === null) return crossStats(l, r);
      return { rows: maxOrNull(l.rows, r.rows), bytes: maxOrNull(l.bytes, r.bytes) };
    }
    case 'sort': case 'repartition': case 'distinct': case 'cache': case 'subqueryAlias': case 'watermark': return est(node.input);
    case 'limit': {
      const s = est(node.input);
      const rows = s.rows === null ? node.n : Math.min(node.n, s.rows);
      const perRow = s.rows !== null && s.rows > 0 && s.bytes !== null ? s.bytes / s.rows : rowWidth(node.schema);
      return { rows, bytes: Math.min(s.bytes ?? Infinity, node.n * perRow) };
    }
    case 'union': {
      const s = node.inputs.map(est);
      return { rows: sumOrNull(s.map((x) => x.rows)), bytes: sumOrNull(s.map((x) => x.bytes)) };
    }
    default: return assertNever(node, 'plan node');
  }
}

/** Rows of a cartesian product, and bytes: each left row's bytes once per right row, and the reverse. */
function crossStats(l: Statistics, r: Statistics): Statistics {
  if (l.rows === null || r.rows === null || l.bytes === null || r.bytes === null) return { rows: null, bytes: null };
  return { rows: l.rows * r.rows, bytes: l.bytes * r.rows + r.bytes * l.rows };
}

/** Rows of a relation before the filters of its chain of filters, projections and aliases (its scan's rows where known). */
export function unfilteredRows(node: LogicalPlan, est: (n: LogicalPlan) => Statistics): number | null {
  switch (node.kind) {
    case 'filter': case 'project': case 'subqueryAlias': return unfilteredRows(node.input, est);
    case 'scan': return optionNumber(node.source.options, 'totalRows') ?? est(node).rows;
    default: return est(node).rows;
  }
}

/**
 * Whether the columns `names` of `node` may be unique in it (no two rows share their values), as
 * far as statistics can tell: false when they surely repeat or nothing is known. Columns of one
 * Parquet scan (through projections, filters and aliases) may be unique when the product of their
 * integer ranges (footer statistics) reaches the scan's rows: `s_nationkey` in [0, 24] over 10,000
 * suppliers repeats, `s_suppkey` in [1, 10,000] may not. An aggregate's group keys are unique.
 */
export function mayBeUnique(node: LogicalPlan, names: readonly string[]): boolean {
  if (names.length === 0) return false;
  switch (node.kind) {
    case 'scan': {
      const rows = optionNumber(node.source.options, 'totalRows');
      const ranges = node.source.options.columnRanges as Readonly<Record<string, readonly [number, number]>> | undefined;
      if (rows === null || !ranges) return false;
      let span = 1;
      for (const n of names) {
        const r = ranges[n];
        if (!r) return false;
        span *= r[1] - r[0] + 1;
      }
      return span >= rows;
    }
    case 'filter': case 'subqueryAlias': case 'sort': case 'limit': case 'cache': case 'repartition':
      return mayBeUnique(node.input, names);
    case 'distinct':
      return node.schema.every((f) => names.includes(f.name)) || mayBeUnique(node.input, names);
    case 'project': {
      const inner = names.map((n) => passedColumn(node, n));
      return inner.every((n) => n !== null) && mayBeUnique(node.input, inner as string[]);
    }
    case 'aggregate':
      return node.groupBy.length > 0 && node.schema.slice(0, node.groupBy.length).every((f) => names.includes(f.name));
    default:
      return false;
  }
}

/** An upper bound on the rows `node` can produce, or null when there is none known. */
export function maxRows(node: LogicalPlan): number | null {
  switch (node.kind) {
    case 'values': return node.rows;
    // scan.limit is per partition and the partition count is decided later.
    case 'scan': case 'streamScan': return null;
    // A user function may return any number of rows.
    case 'mapBatches': case 'generate': return null;
    case 'sample': return node.withReplacement ? null : maxRows(node.input);
    case 'join': return null;
    case 'project': case 'filter': case 'sort': case 'repartition': case 'distinct': case 'predict': case 'cache': case 'subqueryAlias': case 'window': case 'watermark': return maxRows(node.input);
    case 'aggregate': return node.groupBy.length === 0 ? 1 : maxRows(node.input);
    case 'limit': {
      const m = maxRows(node.input);
      return m === null ? node.n : Math.max(0, Math.min(node.n, m - node.offset));
    }
    case 'union': return sumOrNull(node.inputs.map(maxRows));
    default: return assertNever(node, 'plan node');
  }
}
