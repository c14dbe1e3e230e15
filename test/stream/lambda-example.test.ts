// The lambda example as a user runs it (its own nats-server): the served counts, batch view plus speed view, equal DuckDB's count per label per hour over every archived event, each archived once.
import { DuckDBInstance } from '@duckdb/node-api';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../engine/helpers.ts';
import { duckRows, expectSameRows } from '../sql/compare.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const EVENTS = 3000;
const dir = tempDir('lambda-example');
afterAll(() => dir.cleanup());

describe('examples/lambda-tags.ts', () => {
  it('serves tag counts per label per hour, merged from the batch and speed views, equal to a batch count over all events', async () => {
    const out = join(dir.path, 'out');
    const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'examples/lambda-tags.ts'), '--events', String(EVENTS), '--hours', '4', '--out', out],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    proc.stdout.on('data', (d) => { text += d; });
    proc.stderr.on('data', (d) => { text += d; });
    const code = await new Promise<number | null>((r) => proc.once('exit', r));
    expect(code, text).toBe(0);
    expect(text).toMatch(/batch view: tags per label per hour before the cut-off 2024-06-01T02:00:00\.000Z/);
    expect(text).toContain(`the merged view equals a batch count over all ${EVENTS.toLocaleString()} events`);
    // It started its own server, and stopped it.
    const port = Number(/at nats:\/\/127\.0\.0\.1:(\d+)/.exec(text)?.[1]);
    expect(port).toBeGreaterThan(0);
    const refused = await new Promise<string>((r) => connect(port, '127.0.0.1').once('connect', function (this: Socket) { this.destroy(); r('connected'); }).once('error', (e: NodeJS.ErrnoException) => r(e.code ?? e.message)));
    expect(refused).toBe('ECONNREFUSED');

    const served = JSON.parse(readFileSync(join(out, 'serving.json'), 'utf8')) as { label: string; hour: string; batch: number; speed: number; count: number }[];
    // Both views contribute, on either side of the cut-off.
    expect(served.filter((r) => r.hour < '2024-06-01T02:00').every((r) => r.speed === 0 && r.batch > 0)).toBe(true);
    expect(served.filter((r) => r.hour >= '2024-06-01T02:00').every((r) => r.batch === 0 && r.speed > 0)).toBe(true);
    expect(served.every((r) => r.count === r.batch + r.speed)).toBe(true);

    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    const files = `read_json('${join(out, 'archive', 'part-*.json')}', columns = {photo: 'BIGINT', label: 'VARCHAR', ts: 'TIMESTAMP'})`;
    const archived = await duckRows(duck, `SELECT count(*), count(DISTINCT photo) FROM ${files}`);
    expect(archived.rows).toEqual([[EVENTS, EVENTS]]);
    const want = await duckRows(duck, `SELECT label, strftime(date_trunc('hour', ts), '%Y-%m-%dT%H:00:00.000Z'), count(*) FROM ${files} GROUP BY ALL`);
    expectSameRows(served.map((r) => [r.label, r.hour, r.count]), want.rows, false);
    duck.closeSync();
  }, 120_000);
});
