// Distributed writes in cluster mode: executors write the part files (the driver gets one row per file), kill -9 mid-write commits every row once, outputs outside --paths are refused.
import { existsSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PlanError, type RuntimeEvent } from '../../core/index.ts';
import { filesUnder, multiset } from '../engine/helpers.ts';
import { until } from './cluster-helpers.ts';
import { useKillableCluster } from './killable-cluster.ts';

const SLOW = resolve(import.meta.dirname, '../fixtures/cluster/slow.ts');
const CLUSTER = 'writes';

const c = useKillableCluster(CLUSTER, { driverTimeoutMs: 2000, shufflePartitions: 4 });
const out = mkdtempSync(join(tmpdir(), 'quiver-cluster-writes-'));

const N = 12_000;
const rows = Array.from({ length: N }, (_, i) => ({ x: i, k: i % 5 === 0 ? null : `g${i % 7}` }));
const canonical = (rs: readonly Record<string, unknown>[]) => multiset(rs.map((r) => ({ x: Number(r.x), k: r.k ?? null })));
const visible = (p: string) => filesUnder(p).filter((f) => !f.split('/').some((s) => s.startsWith('_') || s.startsWith('.')));

describe('cluster writes', () => {
  it('executors write the part files; the driver receives one row per file, never the data', async () => {
    const from = c.events.length;
    const path = join(out, 'plain');
    expect(await c.q.createDataFrame(rows, { partitions: 6 }).write.partitionBy('k').parquet(path)).toBe(N);
    const ends = c.events.slice(from).filter((e): e is Extract<RuntimeEvent, { kind: 'taskEnd' }> => e.kind === 'taskEnd' && e.ok && !e.ignored);
    const files = visible(path);
    // The result stage's tasks returned the descriptors of their files: as many rows as files, not N.
    expect(ends.reduce((s, e) => s + e.rows, 0)).toBe(files.length);
    expect(new Set(ends.map((e) => e.executor)).size).toBe(2);
    expect(c.q.session.lastJob!.counters.filesWritten).toBe(files.length);
    expect(filesUnder(path)).toContain('_SUCCESS');
    expect(existsSync(join(path, '_temporary'))).toBe(false);
    expect(canonical(await c.q.read.parquet(path).toArray())).toEqual(canonical(rows));
  }, 120_000);

  it('kill -9 of an executor during a partitioned write: every row exactly once, no temporary files left', async () => {
    const from = c.events.length;
    const path = join(out, 'killed');
    const df = c.q.createDataFrame(rows, { partitions: 12 }).mapBatches({ module: SLOW, export: 'sleepy' }, { options: { ms: 250 } });
    const p = df.write.partitionBy('k').option('maxRowsPerFile', 300).json(path);
    await until(() => c.events.slice(from).filter((e) => e.kind === 'taskEnd' && e.ok).length >= 3, 60_000, 'some write tasks to finish');
    const victim = c.executors[0];
    await victim.kill9();
    const replacement = await c.exec('r');
    c.executors = [c.executors[1], replacement];
    expect(await p).toBe(N);
    expect(c.events.slice(from).some((e) => e.kind === 'taskEnd' && !e.ok) || c.events.slice(from).some((e) => e.kind === 'taskStart' && (e as { attempt: number }).attempt > 0)).toBe(true);
    expect(filesUnder(path).filter((f) => f.startsWith('_'))).toEqual(['_SUCCESS']);
    expect(canonical(await c.q.read.json(path, { schema: 'x int32' }).toArray())).toEqual(canonical(rows));
  }, 180_000);

  it('an output directory outside the executors\' --paths is refused and nothing is left there', async () => {
    // Executors here may use only the temp directory (startExecutor's default --paths): any place outside it.
    const outside = [resolve(import.meta.dirname, '../..'), homedir(), '/var/tmp'].find((d) => !`${d}/`.startsWith(`${tmpdir()}/`))!;
    const path = join(outside, `.quiver-write-refused-test-${process.pid}`);
    const err = await c.q.createDataFrame(rows.slice(0, 100)).write.json(path).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(PlanError);
    expect((err as Error).message).toContain('refuses to write files under');
    expect(existsSync(path)).toBe(false);
  }, 60_000);
});
