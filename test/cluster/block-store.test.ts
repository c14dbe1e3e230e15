// The executor's block store: output kept by key, spilled to disk past its budget and read back identical, dropped by job.
import * as arrow from 'apache-arrow';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BlockStore, blockId } from '../../core/runtime/block-store.ts';
import { ipcToBlock } from '../../core/cluster/chunks.ts';
import { decodeBlock, encodeBlock, type Block } from '../../core/runtime/ipc.ts';

function block(from: number, n: number): Block {
  const t = new arrow.Table({ x: arrow.vectorFromArray(Float64Array.from({ length: n }, (_, i) => from + i)), s: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => `row ${from + i}`), new arrow.Utf8()) });
  return encodeBlock(t.schema, t.batches);
}
const values = (b: Block | null | undefined) => (b ? [...decodeBlock(b)].flatMap((r) => [...r.getChild('x')!]) : b);

describe('BlockStore', () => {
  it('keeps blocks by key and reduce partition; an empty partition is null, an unknown one undefined', () => {
    const s = new BlockStore(1 << 30, mkdtempSync(join(tmpdir(), 'quiver-store-')));
    s.put('d/0/1/2/0', [block(0, 10), null, block(10, 5)]);
    expect(values(s.get('d/0/1/2/0', 0))).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(s.get('d/0/1/2/0', 1)).toBeNull();
    expect(s.get('d/0/1/2/0', 7)).toBeUndefined();
    expect(s.get('d/0/1/3/0', 0)).toBeUndefined();
    expect(values(ipcToBlock(s.ipc(blockId('d/0/1/2/0', 2))!))).toEqual([10, 11, 12, 13, 14]);
    expect(s.ipc(blockId('d/0/1/2/0', 1))!.length).toBe(0);
    expect(s.ipc('nope/0')).toBeUndefined();
  });

  it('spills the oldest output to disk past its budget and reads it back identical', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'quiver-store-')), 'spill');
    const first = block(0, 20_000);
    const s = new BlockStore(first.bytes + 1000, dir);
    s.put('d/0/0/0/0', [first, null]);
    expect(existsSync(dir)).toBe(false);
    s.put('d/0/0/1/0', [block(20_000, 20_000), block(40_000, 10)]);
    expect(s.spilledBytes).toBe(first.bytes);
    expect(readdirSync(dir).length).toBe(1);
    expect(values(s.get('d/0/0/0/0', 0))).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    expect(s.get('d/0/0/0/0', 1)).toBeNull();
    expect(values(ipcToBlock(s.ipc(blockId('d/0/0/0/0', 0))!))!.length).toBe(20_000);
    // A finished job's output goes, files included.
    s.put('d/1/0/0/0', [block(0, 1)]);
    expect(s.dropPrefix('d/0/')).toBe(2);
    expect(s.size).toBe(1);
    expect(readdirSync(dir).length).toBe(0);
    s.clear();
    expect(existsSync(dir)).toBe(false);
  });
});
