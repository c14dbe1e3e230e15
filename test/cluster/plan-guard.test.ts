// Stage plans as executors see them: every plan the planner makes passes the stage schema unchanged, and the executor's policy refuses what lies outside it.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col, fn, lit, Quiver } from '../../core/index.ts';
import { checkStage, checkUdfModule, normalizeRoots, realPathOf, type ExecutorPolicy } from '../../core/cluster/plan-guard.ts';
import { decodeStage, MAX_PLAN_DEPTH } from '../../core/cluster/stage-schema.ts';
import type { Stage } from '../../core/physical/phys-node.ts';

const dir = realPathOf(mkdtempSync(join(tmpdir(), 'quiver-guard-')));
const data = join(dir, 'data');
const udfs = join(dir, 'udfs');
mkdirSync(data);
mkdirSync(udfs);
writeFileSync(join(data, 'a.csv'), 'k,v\n1,2\n3,4\n');
writeFileSync(join(udfs, 'f.mjs'), 'export const f = (b) => b;\n');
// A link inside the UDF directory that leads out of it.
symlinkSync('/etc', join(udfs, 'out'));
const policy: ExecutorPolicy = { executorId: 'e-00000000', readRoots: [data], udfRoots: [udfs] };

let q: Quiver;
beforeAll(async () => { q = await Quiver.local({ workers: 1, ui: false, quiet: true }); });
afterAll(async () => { await q?.close(); });

describe('stage schema', () => {
  it('accepts every stage of real plans, as they are', async () => {
    const csv = q.read.csv(join(data, 'a.csv'), { header: true });
    const t = q.createDataFrame([{ k: 1, name: 'a' }, { k: 3, name: null }]);
    const frames = [
      csv.filter(col('v').gt(lit(1))).select(col('k').add(1).alias('k1'), col('v').cast('float64')),
      csv.groupBy('k').agg(fn.sum('v').alias('s'), fn.countDistinct('v').alias('d')).orderBy(col('s').desc()).limit(3),
      csv.join(t, 'k', 'left').withColumn('n', col('name').fillNull('?').upper()),
      csv.union(csv).distinct().repartition(3, 'k'),
      t.filter(col('name').like('a%').or(col('name').rlike('^b')).and(col('k').isin(1, 2, 3)))
        .select(fn.year(fn.toDate(lit('2024-01-02'))).alias('y'), fn.dateTrunc('month', fn.date('2024-05-06').add(fn.interval(col('k'), 'day'))).alias('m')),
      t.sample(0.5, { seed: 3 }).select('k', fn.posexplodeOuter(col('name').split('a'))).filter(col('k').gt(0)),
      t.groupBy('name').agg(fn.udaf({ module: join(udfs, 'f.mjs'), export: 'f' }, { returnType: 'float64', stateType: { list: 'int64' } })(
        fn.udf({ module: join(udfs, 'f.mjs'), export: 'f' }, { returnType: 'float64' })('k', lit(2))).alias('u')),
    ];
    let stages = 0;
    for (const df of frames) {
      const { physical } = await q.session.physical(df.plan);
      for (const s of physical.stages) {
        const d = decodeStage(JSON.stringify(s));
        expect(d.ok ? d.stage : d.reason).toEqual(JSON.parse(JSON.stringify(s)));
        stages++;
      }
    }
    expect(stages).toBeGreaterThan(8);
  });

  it('refuses unknown operators and fields, wrong types, and plans nested past the limit, naming where', async () => {
    const { physical } = await q.session.physical(q.read.csv(join(data, 'a.csv'), { header: true }).filter(col('k').eq(1)).plan);
    const s = JSON.parse(JSON.stringify(physical.stages[0])) as Stage & { root: Record<string, unknown> };
    const bad = (f: (x: any) => void) => { const c = JSON.parse(JSON.stringify(s)); f(c); return decodeStage(JSON.stringify(c)); };
    expect(bad((c) => { c.root.op = 'shell'; })).toMatchObject({ ok: false, reason: expect.stringMatching(/invalid stage plan: root\.op/) });
    expect(bad((c) => { c.root.command = 'id'; })).toMatchObject({ ok: false, reason: expect.stringMatching(/root\.command/) });
    expect(bad((c) => { c.root = { op: 'filter', predicate: { kind: 'call', fn: 'eval', args: [] }, child: c.root }; })).toMatchObject({ ok: false, reason: expect.stringMatching(/root\.predicate\.fn/) });
    expect(bad((c) => { c.partitions = -1; })).toMatchObject({ ok: false, reason: expect.stringMatching(/partitions/) });
    let deep: unknown = { kind: 'column', name: 'k' };
    for (let i = 0; i < MAX_PLAN_DEPTH * 4; i++) deep = { kind: 'unary', op: 'not', arg: deep };
    expect(bad((c) => { c.root = { op: 'filter', predicate: deep, child: c.root }; })).toMatchObject({ ok: false, reason: expect.stringMatching(/nested deeper than/) });
    expect(decodeStage('{"id":')).toMatchObject({ ok: false, reason: expect.stringMatching(/not JSON/) });
  });
});

describe('executor policy', () => {
  it('imports UDFs from installed packages and the UDF directories only', () => {
    expect(() => checkUdfModule(policy, 'apache-arrow')).not.toThrow();
    expect(() => checkUdfModule(policy, join(udfs, 'f.mjs'))).not.toThrow();
    const refused: [string, RegExp][] = [
      ['data:text/javascript,export default 1', /neither an installed package name nor an absolute path/],
      ['http://127.0.0.1/x.mjs', /neither an installed package/],
      ['file:///etc/passwd', /neither an installed package/],
      ['node:fs', /neither an installed package/],
      ['child_process', /Node\.js built-in module/],
      ['./f.mjs', /neither an installed package/],
      ['apache-arrow/../../etc/passwd', /neither an installed package/],
      ['no-such-package-here', /no such package is installed/],
      [join(udfs, 'out', 'passwd'), /reads only under|--udf-path/],
      [join(data, 'a.csv'), /--udf-path/],
    ];
    for (const [spec, why] of refused) expect(() => checkUdfModule(policy, spec), spec).toThrow(why);
  });

  it('lets a task read only its own split, under the declared directories', async () => {
    const other = mkdtempSync(join(tmpdir(), 'quiver-guard-other-'));
    writeFileSync(join(other, 'b.csv'), 'k,v\n5,6\n');
    const df = q.read.csv([join(data, 'a.csv'), join(other, 'b.csv')], { header: true });
    const { physical } = await q.session.physical(df.plan);
    const stage = physical.stages[0];
    expect(() => checkStage(stage, 0, policy)).not.toThrow();
    expect(() => checkStage(stage, 1, policy)).toThrow(/executor e-00000000 refuses to read '.*b\.csv': it reads only under .*data \(--paths\)/);
    expect(() => checkStage(stage, 0, { ...policy, readRoots: [] })).toThrow(/started without --paths, so it reads no files/);
  });

  it('takes absolute directories, never the root', () => {
    expect(normalizeRoots([data, ''], '--paths')).toEqual([data]);
    expect(() => normalizeRoots(['/'], '--paths')).toThrow(/--paths \/ would let every driver read any file/);
    expect(() => normalizeRoots(['/tmp/..'], '--paths')).toThrow(/would let every driver/);
    expect(() => normalizeRoots(['data'], '--paths')).toThrow(/--paths takes absolute directories, got 'data'/);
    // A path that does not exist yet is resolved through its nearest existing parent.
    expect(realPathOf(join(udfs, 'out', 'nope', 'x'))).toBe('/etc/nope/x');
  });
});
