// Shared helpers for the engine tests: temporary directories, file listings, row comparison.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp dir; `cleanup()` removes it. */
export function tempDir(prefix: string): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), `quiver-engine-${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** Every file (not directory) below `dir`, as paths relative to it, sorted. */
export function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => !e.isDirectory())
    .map((e) => join((e as unknown as { parentPath: string }).parentPath ?? e.path, e.name).slice(dir.length + 1))
    .sort();
}

/** A canonical string for a row: keys in order, bigints marked so they compare by value. */
export function rowKey(r: object): string {
  return JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** Rows as a sorted list of canonical strings: compares two results as multisets. */
export function multiset(rows: readonly object[]): string[] {
  return rows.map(rowKey).sort();
}

/** A small deterministic PRNG (mulberry32), so generated data is the same on every run. */
export { rng } from '../../examples/data/access-log.ts';
