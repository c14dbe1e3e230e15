// Blocks: batches laid out in one SharedArrayBuffer, how data moves between threads without copying.
//
// Between threads no serialization format is needed: a block is the batches' own Arrow
// buffers (validity, offsets, values), packed once into a SharedArrayBuffer, plus a small
// descriptor. Structured clone shares the memory; the reader rebuilds Arrow Data as views
// into it. (Between processes, Arrow IPC is the format.)
import * as arrow from 'apache-arrow';
import { readFileSync, rmSync } from 'node:fs';
import { InternalError } from '../../ops/errors.ts';
import { fromArrowSchema, toArrowSchema, type FieldJSON } from '../../ops/types.ts';

/** Where one Data's buffers lie in the block's memory ([byteOffset, byteLength], or null). */
interface DataDesc {
  length: number;
  nullCount: number;
  validity: [number, number] | null;
  offsets: [number, number] | null;
  values: [number, number] | null;
  children: DataDesc[];
}

/**
 * A block on disk (one Arrow IPC stream): written by a store past its budget, or by a map task
 * whose output outgrew its share of memoryBudget. The task that reads it loads it, one block at a
 * time; the store that holds it removes the file.
 */
export interface SpilledBlock {
  readonly file: string;
  readonly rows: number;
  /** Bytes of the batches (as in memory), not of the file. */
  readonly bytes: number;
}

export const isSpilled = (ref: BlockRef): ref is SpilledBlock => 'file' in ref;

/** A task input: a block in shared memory, or one on disk. */
export type BlockRef = Block | SpilledBlock;

/** Batches of one schema in shared memory. Immutable once made; safe to share with any thread. */
export interface Block {
  readonly fields: FieldJSON[];
  readonly memory: SharedArrayBuffer;
  /** Per batch: its row count and one descriptor per column. */
  readonly batches: { rows: number; columns: DataDesc[] }[];
  readonly rows: number;
  readonly bytes: number;
}

const ALIGN = 8;
/**
 * Small blocks are carved from shared arenas: a message that carries many blocks then clones
 * a few SharedArrayBuffers instead of one per block (cloning each costs far more than its bytes).
 * An arena lives as long as any block in it.
 */
const ARENA_BYTES = 4 << 20;
const ARENA_MAX_BLOCK = 256 << 10;
let arena: SharedArrayBuffer | null = null;
let arenaPos = 0;

function reserve(bytes: number): { memory: SharedArrayBuffer; start: number } {
  const need = Math.max(ALIGN, align(bytes));
  if (need > ARENA_MAX_BLOCK) return { memory: new SharedArrayBuffer(need), start: 0 };
  if (!arena || arenaPos + need > ARENA_BYTES) { arena = new SharedArrayBuffer(ARENA_BYTES); arenaPos = 0; }
  const start = arenaPos;
  arenaPos += need;
  return { memory: arena, start };
}
const align = (n: number) => (n + ALIGN - 1) & ~(ALIGN - 1);

/** Bytes `n` bits from bit `offset` of `src`, realigned to bit 0. */
function bitsFrom(src: Uint8Array, offset: number, n: number): Uint8Array {
  const bytes = (n + 7) >> 3;
  if ((offset & 7) === 0) return src.subarray(offset >> 3, (offset >> 3) + bytes);
  const out = new Uint8Array(bytes);
  for (let i = 0; i < n; i++) {
    const j = offset + i;
    if (src[j >> 3] & (1 << (j & 7))) out[i >> 3] |= 1 << (i & 7);
  }
  return out;
}

function asBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** The buffers of `d`, normalized to offset 0, in the order they are packed. */
interface Parts { length: number; nullCount: number; validity: Uint8Array | null; offsets: Uint8Array | null; values: Uint8Array | null; children: Parts[] }

function partsOf(d: arrow.Data): Parts {
  const n = d.length;
  const validity = d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length ? bitsFrom(d.nullBitmap, d.offset, n) : null;
  const base = { length: n, nullCount: validity ? d.nullCount : 0, validity };
  switch (d.type.typeId) {
    case arrow.Type.Null: return { ...base, nullCount: n, validity: null, offsets: null, values: null, children: [] };
    case arrow.Type.Bool: return { ...base, offsets: null, values: bitsFrom(d.values as Uint8Array, d.offset, n), children: [] };
    case arrow.Type.Int: case arrow.Type.Float: case arrow.Type.Date: case arrow.Type.Timestamp: {
      const v = d.values as ArrayBufferView & { subarray(a: number, b: number): ArrayBufferView };
      return { ...base, offsets: null, values: asBytes(v.subarray(0, n * d.stride)), children: [] };
    }
    case arrow.Type.Utf8: case arrow.Type.Binary: {
      const o = d.valueOffsets as Int32Array;
      const start = o[0], end = o[n];
      const offs = new Int32Array(n + 1);
      for (let i = 0; i <= n; i++) offs[i] = o[i] - start;
      return { ...base, offsets: asBytes(offs), values: (d.values as Uint8Array).subarray(start, end), children: [] };
    }
    case arrow.Type.List: case arrow.Type.Map: {
      const o = d.valueOffsets as Int32Array;
      const start = o[0], end = o[n];
      const offs = new Int32Array(n + 1);
      for (let i = 0; i <= n; i++) offs[i] = o[i] - start;
      return { ...base, offsets: asBytes(offs), values: null, children: [partsOf(d.children[0].slice(start, end - start))] };
    }
    case arrow.Type.FixedSizeList: {
      const size = (d.type as arrow.FixedSizeList).listSize;
      const child = d.children[0];
      const c = child.length === n * size ? child : child.slice(0, n * size);
      return { ...base, offsets: null, values: null, children: [partsOf(c)] };
    }
    case arrow.Type.Struct:
      // Arrow JS slices a struct's children with it; each holds (at least) the struct's rows.
      return { ...base, offsets: null, values: null, children: d.children.map((c) => partsOf(c.length === n ? c : c.slice(0, n))) };
  }
  throw new InternalError(`blocks: unsupported column type ${String(d.type)}`);
}

function sizeOf(p: Parts): number {
  let s = 0;
  for (const b of [p.validity, p.offsets, p.values]) if (b) s += align(b.byteLength);
  for (const c of p.children) s += sizeOf(c);
  return s;
}

function write(p: Parts, mem: Uint8Array, at: { pos: number }): DataDesc {
  const put = (b: Uint8Array | null): [number, number] | null => {
    if (!b) return null;
    const where: [number, number] = [at.pos, b.byteLength];
    mem.set(b, at.pos);
    at.pos += align(b.byteLength);
    return where;
  };
  return {
    length: p.length, nullCount: p.nullCount,
    validity: put(p.validity), offsets: put(p.offsets), values: put(p.values),
    children: p.children.map((c) => write(c, mem, at)),
  };
}

/** Bytes of a task's output blocks (null: an empty partition). */
export function blocksBytes(blocks: readonly (BlockRef | null)[]): number {
  return blocks.reduce((n, b) => n + (b?.bytes ?? 0), 0);
}

/** Bytes of the blocks held in memory (not spilled). */
export function memoryBytes(blocks: readonly (BlockRef | null)[]): number {
  return blocks.reduce((n, b) => n + (b && !isSpilled(b) ? b.bytes : 0), 0);
}

/** Removes the files of spilled blocks that no store took (a failed or dropped task's output). */
export function discardBlocks(blocks: readonly (BlockRef | null)[]): void {
  for (const b of blocks) if (b && isSpilled(b)) rmSync(b.file, { force: true });
}

/** Packs batches of one schema into a block (one copy of their buffers). */
export function encodeBlock(schema: arrow.Schema, batches: readonly arrow.RecordBatch[]): Block {
  const parts = batches.filter((b) => b.numRows > 0).map((b) => ({ rows: b.numRows, cols: b.data.children.map(partsOf) }));
  const bytes = parts.reduce((s, b) => s + b.cols.reduce((t, c) => t + sizeOf(c), 0), 0);
  const { memory, start } = reserve(bytes);
  const mem = new Uint8Array(memory);
  const at = { pos: start };
  const out = parts.map((b) => ({ rows: b.rows, columns: b.cols.map((c) => write(c, mem, at)) }));
  return { fields: fromArrowSchema(schema), memory, batches: out, rows: parts.reduce((s, b) => s + b.rows, 0), bytes };
}

function view(memory: SharedArrayBuffer, where: [number, number] | null): Uint8Array | undefined {
  return where ? new Uint8Array(memory, where[0], where[1]) : undefined;
}

function typed(type: arrow.DataType, bytes: Uint8Array | undefined): ArrayBufferView | undefined {
  if (!bytes) return undefined;
  const Ctor = (type as any).ArrayType as { new(b: ArrayBufferLike, o: number, n: number): ArrayBufferView; BYTES_PER_ELEMENT: number } | undefined;
  if (!Ctor || Ctor.BYTES_PER_ELEMENT === 1) return bytes;
  return new Ctor(bytes.buffer, bytes.byteOffset, bytes.byteLength / Ctor.BYTES_PER_ELEMENT);
}

function readData(type: arrow.DataType, d: DataDesc, memory: SharedArrayBuffer): arrow.Data {
  const nullBitmap = view(memory, d.validity);
  const valueOffsets = d.offsets ? new Int32Array(memory, d.offsets[0], d.length + 1) : undefined;
  const raw = view(memory, d.values);
  const children = d.children.map((c, i) => readData(type.children[i].type, c, memory));
  const data = type.typeId === arrow.Type.Bool || type.typeId === arrow.Type.Utf8 || type.typeId === arrow.Type.Binary ? raw : typed(type, raw);
  const props: Record<string, unknown> = { type, length: d.length, nullCount: d.nullCount, nullBitmap, valueOffsets, data };
  if (type.typeId === arrow.Type.Struct) props.children = children;
  else if (children.length === 1) props.child = children[0];
  return arrow.makeData(props as any);
}

/** The block's batches, as views into its shared memory (no copy). */
export function* decodeBlock(block: Block): Generator<arrow.RecordBatch> {
  const schema = toArrowSchema(block.fields);
  for (const b of block.batches) {
    if (b.rows === 0) continue;
    const cols = b.columns.map((c, i) => readData(schema.fields[i].type, c, block.memory));
    const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length: b.rows, nullCount: 0, children: cols } as any);
    yield new arrow.RecordBatch(schema, data as any);
  }
}

/** A block as an Arrow IPC stream (the form that crosses the network; data is never JSON rows). */
export function blockToIpc(block: Block): Uint8Array {
  const schema = toArrowSchema(block.fields);
  const batches = [...decodeBlock(block)];
  return arrow.tableToIPC(batches.length ? new arrow.Table(schema, batches) : new arrow.Table(schema), 'stream');
}

/** The block an IPC stream holds (packed into shared memory, as local tasks expect). */
export function ipcToBlock(bytes: Uint8Array): Block {
  const t = arrow.tableFromIPC(bytes);
  return encodeBlock(t.schema, t.batches);
}

/** The record batches of a task input: a shared-memory block's views, or a spilled block read from its file. */
export function* readBlockRef(ref: BlockRef): Generator<arrow.RecordBatch> {
  if (!isSpilled(ref)) { yield* decodeBlock(ref); return; }
  for (const b of arrow.RecordBatchReader.from(readFileSync(ref.file))) if (b.numRows > 0) yield b;
}
