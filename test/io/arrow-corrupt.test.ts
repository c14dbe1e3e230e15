// Corrupt Arrow IPC through the public API: exact rows or a DataError naming the file, and every read finishes.
import * as arrow from 'apache-arrow';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { DataError } from '../../ops/errors.ts';
import { tempDir } from './helpers.ts';

const N = 60;
const sample = new arrow.Table({
  id: arrow.makeVector(Int32Array.from({ length: N }, (_, i) => i)),
  s: arrow.vectorFromArray(Array.from({ length: N }, (_, i) => (i % 7 === 0 ? null : `s${i}`)), new arrow.Utf8()),
});
const batches = [0, 20, 40].map((s) => sample.slice(s, s + 20).batches[0]);
const want = JSON.stringify(sample.toArray().map((r) => r.toJSON()));

const stream = (k: number): Buffer => Buffer.from(arrow.RecordBatchStreamWriter.writeAll(batches.slice(0, k)).toUint8Array(true));
const file = (): Buffer => Buffer.from(arrow.RecordBatchFileWriter.writeAll(batches).toUint8Array(true));

/**
 * Where each message starts: the 8-aligned continuation markers followed by a metadata length
 * (the sample's values never look like one).
 */
function messageStarts(good: Buffer): number[] {
  const out: number[] = [];
  for (let p = 0; p + 8 <= good.length; p += 8) if (good.readUInt32LE(p) === 0xffffffff && good.readInt32LE(p + 4) > 0) out.push(p);
  return out;
}

function setI32(b: Buffer, at: number, v: number): Buffer {
  const c = Buffer.from(b);
  c.writeInt32LE(v | 0, at);
  return c;
}

/** Truncations at every 8 bytes (every message boundary is one), duplicated prefixes, and corrupt length fields. */
function mutations(good: Buffer, boundaries: number[], fileFormat: boolean): { name: string; bytes: Buffer }[] {
  const out: { name: string; bytes: Buffer }[] = [];
  for (let n = 0; n < good.length; n += 8) out.push({ name: `cut at ${n}`, bytes: good.subarray(0, n) });
  for (const n of [good.length - 1, good.length - 6, good.length - 10]) out.push({ name: `cut at ${n}`, bytes: good.subarray(0, n) });
  for (let k = 1; k <= 48; k++) out.push({ name: `first ${k} bytes doubled`, bytes: Buffer.concat([good.subarray(0, k), good]) });
  for (const b of boundaries) {
    const len = good.readInt32LE(b + 4);
    for (const v of [len + 8, len - 8, len + 4, 0x7fffffff, -1, -8, 0]) out.push({ name: `metadata length at ${b + 4} set to ${v}`, bytes: setI32(good, b + 4, v) });
  }
  if (fileFormat) {
    const at = good.length - 10, len = good.readInt32LE(at);
    for (const v of [len + 8, len - 8, len + 1, 0x7fffffff, -1, 0]) out.push({ name: `footer length set to ${v}`, bytes: setI32(good, at, v) });
  }
  return out;
}

/** Settles within `ms` or fails saying which read hung. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => { timer = setTimeout(() => rej(new Error(`HUNG: ${what} did not finish in ${ms} ms`)), ms); })])
    .finally(() => clearTimeout(timer));
}

describe('corrupt Arrow IPC', () => {
  let q: Quiver;
  let dir: string;
  beforeAll(async () => {
    q = await Quiver.local({ workers: 2, quiet: true });
    dir = await tempDir('quiver-arrow-corrupt-');
  });
  afterAll(async () => { await q?.close(); });

  for (const format of ['stream', 'file'] as const) {
    it(`the ${format} format: every mutation reads as its rows or fails with a DataError naming the file, and finishes`, async () => {
      const good = format === 'stream' ? stream(3) : file();
      const boundaries = messageStarts(good);
      // The stream holds the schema and 3 batches; apache-arrow's file writer keeps the schema in the footer alone.
      expect(boundaries).toHaveLength(format === 'stream' ? 4 : 3);
      const wrong: string[] = [];
      let errors = 0, k = 0;
      for (const m of mutations(good, boundaries, format === 'file')) {
        const path = join(dir, `${format}-${k++}.arrow`);
        await writeFile(path, m.bytes);
        const got = await within((async () => q.read.arrow(path).collect())(), 20_000, `reading ${m.name}`)
          .then((t) => ({ rows: JSON.stringify(t.toArray().map((r) => r.toJSON())) }), (e: unknown) => ({ e: e as Error }));
        if ('rows' in got) {
          if (got.rows !== want) wrong.push(`${m.name}: ${JSON.parse(got.rows).length} rows without an error`);
        } else if (/^HUNG/.test(got.e.message)) {
          throw got.e;
        } else if (got.e instanceof DataError && got.e.message.includes(path)) {
          errors++;
        } else {
          wrong.push(`${m.name}: ${got.e.name} ${got.e.message.slice(0, 200)}`);
        }
      }
      expect(wrong).toEqual([]);
      expect(errors).toBeGreaterThan(50);
      // Cut before its last batch (no end marker, no footer), the file is truncated, and says so.
      const cut = join(dir, `${format}-cut.arrow`);
      await writeFile(cut, good.subarray(0, boundaries[boundaries.length - 1]));
      await expect((async () => q.read.arrow(cut).collect())()).rejects.toThrow(new RegExp(`${cut}.*truncated`));
      // The session still reads a healthy file.
      const ok = join(dir, `${format}-ok.arrow`);
      await writeFile(ok, good);
      expect(JSON.stringify((await q.read.arrow(ok).collect()).toArray().map((r) => r.toJSON()))).toBe(want);
    }, 300_000);
  }
});
