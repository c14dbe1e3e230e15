// A split's quarantine file holds its bad records once, whatever retries, speculative copies, early stops and later jobs did.
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadRecords, ReadEnd } from '../../ops/sources/bad-records.ts';
import { ParseMode } from '../../ops/sources/options.ts';
import type { SplitJSON } from '../../ops/sources/splits.ts';
import { tempDir, testContext } from './helpers.ts';

/** One task attempt over `split` that reports the records starting at `offsets`, then ends as `end`. */
async function attempt(split: SplitJSON, dir: string, offsets: number[], end: ReadEnd, o: { stageId?: number; attempt?: number } = {}): Promise<void> {
  const bad = new BadRecords(split, ParseMode.Permissive, dir, await testContext({ partition: 0, ...o }));
  for (const offset of offsets) await bad.report({ offset, reason: 'expected int32, found "x"', record: `rec@${offset}` });
  await bad.close(end);
}

async function contents(dir: string): Promise<{ files: string[]; records: string[] }> {
  const files = (await readdir(dir)).sort();
  const records: string[] = [];
  for (const f of files) for (const l of (await readFile(join(dir, f), 'utf8')).split('\n').filter(Boolean)) records.push(JSON.parse(l).record);
  return { files, records };
}

describe('quarantine files', () => {
  async function setup() {
    const dir = await tempDir();
    const path = join(dir, 'in.csv');
    await writeFile(path, 'a\n1\nx\n3\ny\n');
    const split: SplitJSON = { path, start: 0, end: 12, firstLine: 1 };
    return { split, q: join(dir, 'bad') };
  }

  it('a failed attempt and its retry leave the records once', async () => {
    const { split, q } = await setup();
    await attempt(split, q, [4], ReadEnd.Failed, { attempt: 0 });
    await attempt(split, q, [4, 8], ReadEnd.Complete, { attempt: 1 });
    const { files, records } = await contents(q);
    expect(files).toHaveLength(1);
    expect(records).toEqual(['rec@4', 'rec@8']);
  });

  it('two speculative copies that both finish, and a later job with the scan in another stage, leave the records once', async () => {
    const { split, q } = await setup();
    await attempt(split, q, [4, 8], ReadEnd.Complete, { attempt: 0 });
    await attempt(split, q, [4, 8], ReadEnd.Complete, { attempt: 1 });
    await attempt(split, q, [4, 8], ReadEnd.Complete, { stageId: 3 });
    expect((await contents(q)).records).toEqual(['rec@4', 'rec@8']);
  });

  it('a read stopped early (a limit) does not replace a whole one, and fills in where there was none', async () => {
    const { split, q } = await setup();
    await attempt(split, q, [4], ReadEnd.Stopped);
    expect((await contents(q)).records).toEqual(['rec@4']);
    await attempt(split, q, [4, 8], ReadEnd.Complete);
    await attempt(split, q, [4], ReadEnd.Stopped);
    expect((await contents(q)).records).toEqual(['rec@4', 'rec@8']);
  });

  it('a whole read without bad records removes the split\'s stale file; no temporary file is left behind', async () => {
    const { split, q } = await setup();
    await attempt(split, q, [4], ReadEnd.Complete);
    await attempt(split, q, [], ReadEnd.Complete);
    expect(await readdir(q)).toEqual([]);
  });
});
