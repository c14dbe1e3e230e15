// UdafAccumulator: a user-defined aggregate ({ init, update, merge, finish } loaded by module path), its partial state as JSON text or an Arrow value.
//
// The partial state of a group is JSON.stringify(state) in one utf8 column: it crosses the
// shuffle between a 'partial' and a 'final' aggregate and goes to spill files like any other
// state column, and a 'final' aggregate parses it back before merge(). So the state MUST be a
// JSON value (numbers, strings, booleans, null, arrays, plain objects): a BigInt, a typed array
// or a cycle fails the task with a DataError naming the UDAF. With a stateType the column has
// that type instead: states are written as values of it (checked as a UDF's result is) and read
// back with Vector.get, a list as a JS array.
import * as arrow from 'apache-arrow';
import { DataError } from '../errors.ts';
import { makeVarWidth } from '../expr/bits.ts';
import type { UdafSpec } from '../expr/node.ts';
import { valuesToData } from '../expr/udf.ts';
import { takeData } from '../compute/take.ts';
import { describe, loadedUdaf, udfWhere, type Udaf } from '../udf-registry.ts';
import type { Accumulator } from './accumulator.ts';

/** Bytes counted per group for the memory budget (the states' real sizes are the user's). */
const BYTES_PER_GROUP = 96;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class UdafAccumulator implements Accumulator {
  private readonly u: Udaf;
  private readonly where: string;
  /** Per group id; undefined until the group's first row or state. */
  private states: unknown[] = [];

  constructor(readonly spec: UdafSpec) {
    this.u = loadedUdaf(spec.udf);
    this.where = udfWhere('udaf', spec.udf);
  }

  update(ids: Int32Array, n: number, arg: arrow.Data | null, nGroups: number): void {
    if (n === 0 || arg === null) return;
    this.grow(nGroups);
    let same = true;
    for (let i = 1; i < n && same; i++) same = ids[i] === ids[0];
    if (same) {
      // One group (a global aggregate, or a sorted run): the whole batch at once, no copy.
      this.feed(ids[0], arrow.makeVector(arg.slice(0, n)));
      return;
    }
    // A counting sort by group keeps each group's rows in input order.
    const offs = new Int32Array(nGroups + 1);
    for (let i = 0; i < n; i++) offs[ids[i] + 1]++;
    for (let g = 0; g < nGroups; g++) offs[g + 1] += offs[g];
    const fill = offs.slice(0, nGroups);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[fill[ids[i]]++] = i;
    for (let g = 0; g < nGroups; g++) {
      if (offs[g + 1] > offs[g]) this.feed(g, arrow.makeVector(takeData(arg, order.subarray(offs[g], offs[g + 1]))));
    }
  }

  merge(ids: Int32Array, n: number, state: readonly arrow.Data[], nGroups: number): void {
    this.grow(nGroups);
    if (this.spec.stateType !== undefined) {
      const v = arrow.makeVector(state[0]);
      for (let i = 0; i < n; i++) this.mergeOne(ids[i], plain(v.get(i)));
      return;
    }
    const d = state[0];
    const offs = d.valueOffsets as Int32Array;
    const bytes = d.values as Uint8Array;
    for (let i = 0; i < n; i++) {
      // Arrow JS slices the offsets with the column: row i's are at i.
      const text = decoder.decode(bytes.subarray(offs[i], offs[i + 1]));
      this.mergeOne(ids[i], JSON.parse(text) as unknown);
    }
  }

  state(nGroups: number): arrow.Data[] {
    if (this.spec.stateType !== undefined) {
      const states = Array.from({ length: nGroups }, (_, g) => this.stateOf(g));
      return [valuesToData(states, this.spec.stateType, nGroups, `${this.where}: its state`)];
    }
    const parts: Uint8Array[] = [];
    const offs = new Int32Array(nGroups + 1);
    let at = 0;
    for (let g = 0; g < nGroups; g++) {
      const b = encoder.encode(this.stringify(this.stateOf(g)));
      parts.push(b);
      at += b.length;
      offs[g + 1] = at;
    }
    const data = new Uint8Array(at);
    parts.forEach((b, g) => data.set(b, offs[g]));
    return [makeVarWidth(new arrow.Utf8(), nGroups, offs, data, null)];
  }

  finish(nGroups: number): arrow.Data {
    const values: unknown[] = [];
    for (let g = 0; g < nGroups; g++) {
      const s = this.stateOf(g);
      values.push(this.call('finish', () => this.u.finish(s)));
    }
    return valuesToData(values, this.spec.returnType, nGroups, `${this.where}: finish()`);
  }

  bytes(): number { return this.states.length * BYTES_PER_GROUP; }

  private mergeOne(g: number, s: unknown): void {
    const prev = this.states[g];
    this.states[g] = prev === undefined ? s : this.call('merge', () => this.u.merge(prev, s));
  }

  private feed(g: number, values: arrow.Vector): void {
    const s = this.stateOf(g);
    this.states[g] = this.call('update', () => this.u.update(s, values));
  }

  private stateOf(g: number): unknown {
    const s = this.states[g];
    return s === undefined ? this.call('init', () => this.u.init()) : s;
  }

  private grow(nGroups: number): void {
    if (this.states.length < nGroups) this.states.length = nGroups;
  }

  private call<T>(what: string, f: () => T): T {
    let out: T;
    try {
      out = f();
    } catch (err) {
      throw new DataError(`${this.where}: ${what}() threw: ${(err as Error)?.message ?? String(err)}`, {}, { cause: err });
    }
    if (out instanceof Promise) throw new DataError(`${this.where}: ${what}() returned a Promise; a UDAF's functions must be synchronous`);
    return out;
  }

  private stringify(s: unknown): string {
    let text: string | undefined;
    try {
      text = JSON.stringify(s);
    } catch (err) {
      throw new DataError(`${this.where}: its state is not JSON (${(err as Error).message}); keep the state to numbers, strings, booleans, null, arrays and plain objects`, {}, { cause: err });
    }
    if (text === undefined) throw new DataError(`${this.where}: its state is ${describe(s)}, which JSON cannot hold; return a JSON value from init(), update() and merge()`);
    return text;
  }
}

/** A value read from an Arrow state column as plain JS: lists become arrays (nested too). */
function plain(v: unknown): unknown {
  if (v instanceof arrow.Vector) return Array.from(v, plain);
  return v;
}
