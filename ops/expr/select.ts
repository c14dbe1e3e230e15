// CASE WHEN and coalesce: a per-row choice among inputs of one type, gathered by interleave.
import * as arrow from 'apache-arrow';
import { InternalError } from '../errors.ts';
import type { TypeJSON } from '../types.ts';
import { allValid, boolBits, byteLen, clearBit, getBit, nullData, validity } from './bits.ts';
import type { Node } from './compiled.ts';
import type { ExprNode } from './node.ts';

type Compile = (e: ExprNode) => Node;
type Coerce = (n: Node, to: TypeJSON) => Node;

/** CASE WHEN c1 THEN v1 ... ELSE d END: the first branch whose condition is true wins. */
export function compileCase(e: ExprNode & { kind: 'case' }, compile: Compile, coerce: Coerce, out: TypeJSON): Node {
  const whens = e.branches.map((b) => coerce(compile(b.when), 'bool'));
  const values = e.branches.map((b) => coerce(compile(b.then), out));
  if (e.otherwise) values.push(coerce(compile(e.otherwise), out));
  const fallback = e.otherwise ? values.length - 1 : -1;
  return {
    type: out,
    constant: null,
    evaluate(batch) {
      const n = batch.numRows;
      const choice = new Int32Array(n).fill(-2);
      let open = n;
      for (let j = 0; j < whens.length && open > 0; j++) {
        const w = whens[j].evaluate(batch);
        if (w.typeId === arrow.Type.Null) continue;
        const bits = boolBits(w);
        const v = validity(w);
        for (let i = 0; i < n; i++) {
          if (choice[i] === -2 && getBit(bits, i) && (!v || getBit(v, i))) { choice[i] = j; open--; }
        }
      }
      for (let i = 0; i < n; i++) if (choice[i] === -2) choice[i] = fallback;
      return gather(out, values, choice, batch);
    },
  };
}

/** coalesce(a, b, ...): the first non-null argument; later arguments are evaluated only if needed. */
export function compileCoalesce(args: readonly Node[], coerce: Coerce, out: TypeJSON): Node {
  const values = args.map((a) => coerce(a, out));
  return {
    type: out,
    constant: null,
    evaluate(batch) {
      const n = batch.numRows;
      const choice = new Int32Array(n).fill(-1);
      let open = n;
      for (let j = 0; j < values.length && open > 0; j++) {
        const d = values[j].evaluate(batch);
        const v = validity(d);
        for (let i = 0; i < n; i++) {
          if (choice[i] === -1 && (!v || getBit(v, i))) { choice[i] = j; open--; }
        }
      }
      return gather(out, values, choice, batch);
    },
  };
}

/** Evaluates the chosen inputs (constants stay one row) and interleaves them. */
function gather(out: TypeJSON, values: readonly Node[], choice: Int32Array, batch: arrow.RecordBatch): arrow.Data {
  const n = batch.numRows;
  const used = new Uint8Array(values.length);
  for (let i = 0; i < n; i++) if (choice[i] >= 0) used[choice[i]] = 1;
  const sources = values.map((v, j) => (used[j] ? (v.constant ?? v.evaluate(batch)) : null));
  if (sources.every((s) => s === null)) return nullData(out, n);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = choice[i];
    idx[i] = c >= 0 && values[c].constant ? 0 : i;
  }
  return interleave(sources, choice, idx, n);
}

/**
 * Row i of the result is row idx[i] of sources[choice[i]] (null when choice[i] < 0). All
 * sources MUST share one Arrow type. A multi-source take: works for every Quiver type.
 */
export function interleave(sources: readonly (arrow.Data | null)[], choice: Int32Array, idx: Int32Array, n: number): arrow.Data {
  const first = sources.find((s) => s !== null)!;
  const type = first.type;
  if (type.typeId === arrow.Type.Null) return arrow.makeData({ type, length: n, nullCount: n } as any);
  const valid = allValid(n);
  const vals = sources.map((s) => (s ? validity(s) : null));
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const c = choice[i];
    const v = c >= 0 ? vals[c] : null;
    if (c < 0 || (v && !getBit(v, idx[i]))) { clearBit(valid, i); nulls++; }
  }
  const base = { type, length: n, nullCount: nulls, nullBitmap: nulls ? valid : undefined };
  switch (type.typeId) {
    case arrow.Type.Bool: {
      const bits = sources.map((s) => (s ? boolBits(s) : null));
      const out = new Uint8Array(byteLen(n));
      for (let i = 0; i < n; i++) {
        const c = choice[i];
        if (c >= 0 && getBit(bits[c]!, idx[i])) out[i >> 3] |= 1 << (i & 7);
      }
      return arrow.makeData({ ...base, data: out } as any);
    }
    case arrow.Type.Int: case arrow.Type.Float: case arrow.Type.Date: case arrow.Type.Timestamp: {
      const v0 = first.values as ArrayBufferView & ArrayLike<unknown>;
      const wide = v0 instanceof BigInt64Array || v0 instanceof BigUint64Array;
      // 64-bit values move as two 32-bit words, so no BigInt is created per row.
      const view = (s: arrow.Data | null) => {
        if (!s) return null;
        const v = s.values as ArrayBufferView;
        return wide ? new Int32Array(v.buffer, v.byteOffset, s.length * 2) : (v as unknown as Int32Array);
      };
      const srcs = sources.map(view);
      const Ctor = (v0 as any).constructor;
      const out = new Ctor(n);
      if (wide) {
        const w = new Int32Array(out.buffer);
        for (let i = 0; i < n; i++) {
          const c = choice[i];
          if (c < 0) continue;
          const s = srcs[c]!, k = idx[i];
          w[2 * i] = s[2 * k];
          w[2 * i + 1] = s[2 * k + 1];
        }
      } else {
        for (let i = 0; i < n; i++) { const c = choice[i]; if (c >= 0) out[i] = srcs[c]![idx[i]]; }
      }
      return arrow.makeData({ ...base, data: out } as any);
    }
    case arrow.Type.Utf8: case arrow.Type.Binary: {
      const offs = sources.map((s) => (s ? (s.valueOffsets as Int32Array) : null));
      const bytes = sources.map((s) => (s ? (s.values as Uint8Array) : null));
      const outOffs = new Int32Array(n + 1);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const c = choice[i];
        if (c >= 0) { const o = offs[c]!, k = idx[i]; total += o[k + 1] - o[k]; }
        outOffs[i + 1] = total;
      }
      const out = new Uint8Array(total);
      for (let i = 0; i < n; i++) {
        const c = choice[i];
        if (c < 0) continue;
        const o = offs[c]!, src = bytes[c]!, k = idx[i];
        let w = outOffs[i];
        for (let j = o[k]; j < o[k + 1]; j++) out[w++] = src[j];
      }
      return arrow.makeData({ ...base, valueOffsets: outOffs, data: out } as any);
    }
    case arrow.Type.List: {
      const offs = sources.map((s) => (s ? (s.valueOffsets as Int32Array) : null));
      const outOffs = new Int32Array(n + 1);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const c = choice[i];
        if (c >= 0) { const o = offs[c]!, k = idx[i]; total += o[k + 1] - o[k]; }
        outOffs[i + 1] = total;
      }
      const cc = new Int32Array(total), ci = new Int32Array(total);
      let w = 0;
      for (let i = 0; i < n; i++) {
        const c = choice[i];
        if (c < 0) continue;
        const o = offs[c]!, k = idx[i];
        for (let j = o[k]; j < o[k + 1]; j++) { cc[w] = c; ci[w++] = j; }
      }
      const child = interleave(sources.map((s) => (s ? s.children[0] : null)), cc, ci, total);
      return arrow.makeData({ ...base, valueOffsets: outOffs, child } as any);
    }
    case arrow.Type.FixedSizeList: {
      const size = (type as arrow.FixedSizeList).listSize;
      const cc = new Int32Array(n * size), ci = new Int32Array(n * size);
      for (let i = 0; i < n; i++) {
        for (let s = 0; s < size; s++) { cc[i * size + s] = choice[i]; ci[i * size + s] = idx[i] * size + s; }
      }
      const child = interleave(sources.map((s) => (s ? s.children[0] : null)), cc, ci, n * size);
      return arrow.makeData({ ...base, child } as any);
    }
  }
  throw new InternalError(`interleave: unsupported type ${String(type)}`);
}

