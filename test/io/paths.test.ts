import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError, PlanError } from '../../ops/errors.ts';
import { resolvePaths, resolvePathsSync } from '../../ops/sources/index.ts';
import { tempDir } from './helpers.ts';

async function tree(): Promise<string> {
  const root = await tempDir();
  for (const f of ['b.csv', 'a.csv', 'c.txt', 'x1.csv', 'x22.csv', '.hidden.csv', '_SUCCESS', 'sub/d.csv', 'sub/deep/e.csv', 'sub/deep/f.txt', 'sub/.git/g.csv', 'empty/.keep']) {
    await mkdir(join(root, f, '..'), { recursive: true });
    await writeFile(join(root, f), 'x');
  }
  return root;
}

describe('resolvePaths', () => {
  it('expands * and ? within a segment, sorted, without hidden files', async () => {
    const root = await tree();
    const rel = (ps: string[]) => ps.map((p) => relative(root, p));
    expect(rel(await resolvePaths(join(root, '*.csv')))).toEqual(['a.csv', 'b.csv', 'x1.csv', 'x22.csv']);
    expect(rel(await resolvePaths(join(root, 'x?.csv')))).toEqual(['x1.csv']);
    expect(rel(await resolvePaths(join(root, 's*/*.csv')))).toEqual(['sub/d.csv']);
  });

  it('expands ** across directories (zero or more), skipping hidden ones', async () => {
    const root = await tree();
    const rel = (ps: string[]) => ps.map((p) => relative(root, p));
    expect(rel(await resolvePaths(join(root, '**/*.csv')))).toEqual(['a.csv', 'b.csv', 'sub/d.csv', 'sub/deep/e.csv', 'x1.csv', 'x22.csv']);
    expect(rel(await resolvePaths(join(root, 'sub/**')))).toEqual(['sub/d.csv', 'sub/deep/e.csv', 'sub/deep/f.txt']);
  });

  it('a directory means every non-hidden file below it, sorted; lists keep their order and drop repeats', async () => {
    const root = await tree();
    const rel = (ps: string[]) => ps.map((p) => relative(root, p));
    expect(rel(await resolvePaths(join(root, 'sub')))).toEqual(['sub/d.csv', 'sub/deep/e.csv', 'sub/deep/f.txt']);
    expect(rel(await resolvePaths([join(root, 'c.txt'), join(root, 'a.csv'), join(root, '*.txt')]))).toEqual(['c.txt', 'a.csv']);
  });

  it('expands {a,b} alternatives and [ab] classes, in sorted order', async () => {
    const root = await tree();
    const rel = (ps: string[]) => ps.map((p) => relative(root, p));
    expect(rel(await resolvePaths(join(root, '{b,a}.csv')))).toEqual(['a.csv', 'b.csv']);
    expect(rel(await resolvePaths(join(root, '{sub,empty}/*.csv')))).toEqual(['sub/d.csv']);
    expect(rel(await resolvePaths(join(root, '[ab].csv')))).toEqual(['a.csv', 'b.csv']);
    expect(rel(await resolvePaths(join(root, 'x[0-9].csv')))).toEqual(['x1.csv']);
    expect(rel(await resolvePaths(join(root, '*.{csv,txt}')))).toEqual(['a.csv', 'b.csv', 'c.txt', 'x1.csv', 'x22.csv']);
  });

  it('a glob matching a directory reads its files; wildcards skip names starting with . or _', async () => {
    const root = await tree();
    const rel = (ps: string[]) => ps.map((p) => relative(root, p));
    expect(rel(await resolvePaths(join(root, 's?b')))).toEqual(['sub/d.csv', 'sub/deep/e.csv', 'sub/deep/f.txt']);
    expect(rel(await resolvePaths(join(root, '*')))).toEqual(['a.csv', 'b.csv', 'c.txt', 'sub/d.csv', 'sub/deep/e.csv', 'sub/deep/f.txt', 'x1.csv', 'x22.csv']);
    expect(rel(await resolvePaths(join(root, '_*')))).toEqual(['_SUCCESS']);
  });

  it('a file whose name holds glob characters is read as itself', async () => {
    const root = await tree();
    await writeFile(join(root, 'odd[1].csv'), 'x');
    expect(await resolvePaths(join(root, 'odd[1].csv'))).toEqual([join(root, 'odd[1].csv')]);
  });

  it('resolves relative paths against the working directory to absolute ones', async () => {
    const root = await tree();
    const cwd = process.cwd();
    process.chdir(root);
    try {
      expect(resolvePathsSync('sub/d.csv')).toEqual([join(root, 'sub/d.csv')]);
      expect(resolvePathsSync('*.txt')).toEqual([join(root, 'c.txt')]);
    } finally {
      process.chdir(cwd);
    }
  });

  it('names the missing file, the empty glob and the empty directory', async () => {
    const root = await tree();
    const missing = join(root, 'nope.csv');
    await expect(resolvePaths(missing)).rejects.toThrow(new DataError('file not found; check the path', { file: missing }).message);
    await expect(resolvePaths(join(root, '*.parquet'))).rejects.toThrow(`${join(root, '*.parquet')}: no files match the glob`);
    await expect(resolvePaths(join(root, '{x,y}.parquet'))).rejects.toThrow(`${join(root, '{x,y}.parquet')}: no files match the glob`);
    await expect(resolvePaths(join(root, 'empty'))).rejects.toThrow(`${join(root, 'empty')}: directory contains no files to read`);
    await expect(resolvePaths([])).rejects.toThrow(PlanError);
  });

  it('a long list of paths in one directory (read from its listing) gives what stat gives: files in order, links followed, directories expanded, a missing one named', async () => {
    const root = await tempDir();
    const names = Array.from({ length: 40 }, (_, i) => `img${String(39 - i).padStart(2, '0')}.png`);
    for (const n of names) await writeFile(join(root, n), 'x');
    await symlink(join(root, 'img00.png'), join(root, 'link.png'));
    await mkdir(join(root, 'more'));
    await writeFile(join(root, 'more', 'z.png'), 'x');
    const list = [...names, 'link.png', 'more', names[3]].map((n) => join(root, n));
    const rel = (ps: string[]) => ps.map((p) => relative(root, p));
    // Entries keep their order (not sorted), duplicates drop, a directory stands for its files.
    expect(rel(resolvePathsSync(list))).toEqual([...names, 'link.png', 'more/z.png']);
    const err = (() => { try { resolvePathsSync([...list, join(root, 'gone.png')]); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/gone\.png.*file not found|file not found.*gone\.png/s);
  });
});
