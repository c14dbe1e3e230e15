// The golden cases as a suite: run under a session configuration, embedded or in cluster mode.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quiver, Window, col, lit, fn, when, DataFrame } from '../../core/index.ts';
import { datasets } from './datasets.ts';
import { parseGolden, type GoldenCase } from './format.ts';

const dir = join(import.meta.dirname, 'cases');
/** The test UDF module the cases may reference by absolute path (executors allow test/fixtures). */
const UDFS = join(import.meta.dirname, '../fixtures/udf/scalar-udfs.ts');
const cases: GoldenCase[] = readdirSync(dir).filter((f) => f.endsWith('.golden')).sort()
  .flatMap((f) => parseGolden(f, readFileSync(join(dir, f), 'utf8')));

export interface GoldenConfig {
  partitions: number;
  batchSize: number;
  roundTrip: boolean;
}

function norm(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? v : Math.round(v * 1e9) / 1e9;
  if (typeof v === 'bigint') return Number(v);
  return v;
}
const rowText = (r: Record<string, unknown>) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, norm(v)])));

/** Every golden case on a session `open` makes for `cfg` (tables in cfg.partitions partitions). */
export function goldenSuite(name: string, cfg: GoldenConfig, open: (cfg: GoldenConfig) => Promise<Quiver>): void {
  describe(name, () => {
    let q: Quiver;
    let t: Record<string, DataFrame>;
    beforeAll(async () => {
      q = await open(cfg);
      t = Object.fromEntries(Object.entries(datasets).map(([k, rows]) => [k, q.createDataFrame(rows, { partitions: cfg.partitions })]));
    });
    afterAll(async () => { await q?.close(); });
    for (const c of cases) {
      it(`${c.file}:${c.line} ${c.kind} ${c.name}`, async () => {
        const build = () => {
          const df = new Function('t', 'col', 'lit', 'fn', 'when', 'UDFS', 'Window', `return (${c.code});`)(t, col, lit, fn, when, UDFS, Window) as DataFrame;
          // Plans cross the network in cluster mode: run the JSON round trip of the plan too.
          return cfg.roundTrip ? new DataFrame(df.session, JSON.parse(JSON.stringify(df.plan))) : df;
        };
        if (c.kind === 'error') {
          const [cls, ...rest] = c.expected[0].split(':');
          const msg = rest.join(':').trim();
          let err: Error | null = null;
          try { await build().collect(); } catch (e) { err = e as Error; }
          expect(err, 'expected an error').not.toBeNull();
          expect(err!.name).toBe(cls.trim());
          expect(err!.message).toContain(msg);
          return;
        }
        const df = build();
        if (c.kind === 'explain') {
          const text = await df.explain();
          let pos = 0;
          for (const want of c.expected) {
            const at = text.indexOf(want, pos);
            expect(at, `explain lacks '${want}' (after position ${pos}):\n${text}`).toBeGreaterThanOrEqual(0);
            pos = at + want.length;
          }
          return;
        }
        const got = (await df.toArray()).map(rowText);
        const want = c.expected.map((l) => rowText(JSON.parse(l)));
        if (c.unordered) { got.sort(); want.sort(); }
        expect(got).toEqual(want);
      });
    }
  });
}
