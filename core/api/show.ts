// Rendering results: plain row objects and the text table printed by show().
import type * as arrow from 'apache-arrow';

function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (v && typeof v === 'object' && 'toArray' in (v as object) && typeof (v as any).toArray === 'function' && !(v instanceof Date)) {
    return Array.from((v as any).toArray() as Iterable<unknown>, plain);
  }
  return v;
}

/** Rows of a table as plain objects; int64 values become numbers when exact. */
export function rowsOf(t: arrow.Table): Record<string, unknown>[] {
  const names = t.schema.fields.map((f) => f.name);
  const cols = names.map((_, i) => t.getChildAt(i)!);
  const out: Record<string, unknown>[] = new Array(t.numRows);
  for (let r = 0; r < t.numRows; r++) {
    const row: Record<string, unknown> = {};
    for (let c = 0; c < names.length; c++) row[names[c]] = plain(cols[c].get(r));
    out[r] = row;
  }
  return out;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (Array.isArray(v)) return `[${v.map(cell).join(', ')}]`;
  return String(v);
}

/** A boxed text table like Spark's show(). */
export function formatTable(t: arrow.Table, maxWidth = 40): string {
  const names = t.schema.fields.map((f) => f.name);
  const rows = rowsOf(t).map((r) => names.map((n) => { const s = cell(r[n]); return s.length > maxWidth ? `${s.slice(0, maxWidth - 3)}...` : s; }));
  const widths = names.map((n, i) => Math.max(n.length, ...rows.map((r) => r[i].length)));
  const line = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const fmt = (cells: string[]) => `|${cells.map((c, i) => ` ${c.padStart(widths[i])} `).join('|')}|`;
  return [line, fmt(names), line, ...rows.map(fmt), line, `${t.numRows} row${t.numRows === 1 ? '' : 's'}`].join('\n');
}
