// The console warning a permissive read gives when it skips bad records, and `quiet: true` silencing it.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { tempDir } from './helpers.ts';

describe('permissive-mode warning', () => {
  afterEach(() => vi.restoreAllMocks());

  async function readWithBadRecord(quiet: boolean): Promise<{ rows: number; warnings: string[] }> {
    const dir = await tempDir();
    const path = join(dir, 'p.csv');
    await writeFile(path, 'n\n1\nnot a number\n3\n');
    const warnings: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => { warnings.push(a.map(String).join(' ')); });
    const q = await Quiver.local({ workers: 1, quiet });
    try {
      const t = await q.read.csv(path, { schema: 'n int32', mode: 'permissive', badRecordsPath: join(dir, 'bad') }).collect();
      return { rows: t.numRows, warnings };
    } finally {
      await q.close();
    }
  }

  it('warns that a job skipped bad records', async () => {
    const { rows, warnings } = await readWithBadRecord(false);
    expect(rows).toBe(2);
    expect(warnings.filter((w) => /^quiver: job \d+ skipped 1 bad record \(permissive mode\)/.test(w))).toHaveLength(1);
  });

  it('says nothing with quiet: true', async () => {
    const { rows, warnings } = await readWithBadRecord(true);
    expect(rows).toBe(2);
    expect(warnings.filter((w) => w.includes('bad record'))).toEqual([]);
  });
});
