// RangeReader hands its read buffers to the thread's next reader once closed; readers open at the same time never share one, and every line is still read once.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RangeReader } from '../../ops/sources/range-reader.ts';
import { tempDir } from './helpers.ts';

/** Every line the reader's split owns; `seen` collects the buffers it read into. */
async function linesOf(r: RangeReader, seen = new Set<Buffer>()): Promise<string[]> {
  const out: string[] = [];
  while (!r.done) {
    seen.add(r.buf);
    const nl = r.buf.indexOf(10, r.pos);
    if (nl < 0 || nl >= r.len) {
      if (r.eof) { out.push(r.buf.toString('utf8', r.pos, r.len)); r.pos = r.len; break; }
      await r.fill();
      continue;
    }
    out.push(r.buf.toString('utf8', r.pos, nl));
    r.pos = nl + 1;
  }
  return out;
}

describe('RangeReader buffers', () => {
  it('a closed reader\'s buffers go to the next reader; open readers never share one; lines read once across splits', async () => {
    const dir = await tempDir();
    const path = join(dir, 'lines.txt');
    const lines = Array.from({ length: 60_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 97)}`);
    await writeFile(path, lines.join('\n') + '\n');
    const size = lines.join('\n').length + 1;
    // 256 KiB buffers: big enough for read-ahead (a spare buffer), small enough for many fills.
    const bufferBytes = 256 * 1024;
    const first = await RangeReader.open(path, 0, size, bufferBytes);
    const used = new Set<Buffer>();
    const got1 = await linesOf(first, used);
    await first.close();
    const second = await RangeReader.open(path, 0, size, bufferBytes);
    expect(used.has(second.buf)).toBe(true);
    // A reader opened while `second` is open gets a buffer of its own.
    const third = await RangeReader.open(path, 0, size, bufferBytes);
    expect(third.buf).not.toBe(second.buf);
    const [got2, got3] = await Promise.all([linesOf(second), linesOf(third)]);
    await Promise.all([second.close(), third.close()]);
    expect(got1).toEqual(lines);
    expect(got2).toEqual(lines);
    expect(got3).toEqual(lines);
    // Splits read with pooled buffers still give every line exactly once.
    const cuts = [0, 100_000, 777_777, 1_500_000, size];
    const parts: string[] = [];
    for (let k = 0; k + 1 < cuts.length; k++) {
      const r = await RangeReader.open(path, cuts[k], cuts[k + 1], bufferBytes);
      parts.push(...(await linesOf(r)));
      await r.close();
    }
    expect(parts).toEqual(lines);
  });

  it('keeps the buffers closed last: older ones of other sizes make room', async () => {
    const dir = await tempDir();
    const path = join(dir, 'sizes.txt');
    await writeFile(path, 'x\n'.repeat(200_000));
    // Readers of several odd sizes fill the pool first; the last one closed is still kept.
    for (const kb of [5, 6, 7, 9, 11, 13]) {
      const r = await RangeReader.open(path, 0, 400_000, kb * 1024);
      await linesOf(r);
      await r.close();
    }
    const a = await RangeReader.open(path, 0, 400_000, 64 * 1024);
    const seen = new Set<Buffer>();
    await linesOf(a, seen);
    await a.close();
    const b = await RangeReader.open(path, 0, 400_000, 64 * 1024);
    expect(seen.has(b.buf)).toBe(true);
    await b.close();
  });

  it('close() twice returns its buffers once', async () => {
    const dir = await tempDir();
    const path = join(dir, 'small.txt');
    await writeFile(path, 'a\nb\n');
    const r = await RangeReader.open(path, 0, 4, 4096);
    await r.close();
    await r.close();
    const a = await RangeReader.open(path, 0, 4, 4096);
    const b = await RangeReader.open(path, 0, 4, 4096);
    expect(a.buf).not.toBe(b.buf);
    expect(await linesOf(a)).toEqual(['a', 'b']);
    expect(await linesOf(b)).toEqual(['a', 'b']);
    await a.close();
    await b.close();
  });
});
