// The driver's side of a write job: check the output path before the job, commit the files of the attempts the scheduler kept, or abort.
import type * as arrow from 'apache-arrow';
import { mkdir, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InternalError, PlanError } from '../errors.ts';
import { exists, pathExistsError } from './atomic.ts';
import { writeTable, type SinkFormat, type WriteOptions } from './write-table.ts';
import { FILE_EXTENSIONS, jobTemporaryDir } from './write-files-exec.ts';

/** What a write does when its path exists (Spark's SaveMode). */
export type WriteMode = 'error' | 'overwrite' | 'append' | 'ignore';

/** One file a task wrote, as its WriteFilesExec row says: `file` is relative to the job's temporary directory. */
export interface WrittenFile {
  file: string;
  rows: number;
  bytes: number;
}

/** What the output path held before the job: whether to run it, and whether the job made the directory (abort removes it then). */
export interface OutputState {
  run: boolean;
  created: boolean;
}

/**
 * Checked before the job runs, so a refused write costs nothing. 'error' refuses an existing
 * path (PlanError), 'ignore' skips the job; 'overwrite' of a plain file removes it first (a
 * directory's content is replaced only at commit); 'append' needs a directory or nothing.
 */
export async function prepareOutput(path: string, mode: WriteMode): Promise<OutputState> {
  if (!(await exists(path))) return { run: true, created: true };
  if (mode === 'ignore') return { run: false, created: false };
  if (mode === 'error') throw pathExistsError(path);
  if (!(await stat(path)).isDirectory()) {
    if (mode === 'append') throw new PlanError(`cannot append to ${path}: it is a file, and writes make a directory of part files; write to a new path or with mode('overwrite')`);
    // Tasks write under <path>/_temporary: a file in the way goes now, not at commit.
    await rm(path, { force: true });
    return { run: true, created: true };
  }
  return { run: true, created: false };
}

/** The rows of a write job's result (WriteFilesExec's descriptors), in partition order. */
export function writtenFiles(t: arrow.Table): WrittenFile[] {
  const out: WrittenFile[] = [];
  for (const r of t.toArray() as { file: string; rows: bigint; bytes: bigint }[]) {
    out.push({ file: String(r.file), rows: Number(r.rows), bytes: Number(r.bytes) });
  }
  return out;
}

export interface CommitOptions {
  path: string;
  jobToken: string;
  mode: WriteMode;
  files: readonly WrittenFile[];
  /** For a job that wrote no file (no rows, no partitionBy): one empty file of this schema, so the directory reads back. */
  format: SinkFormat;
  schema: arrow.Schema;
  options: WriteOptions;
  partitioned: boolean;
  /** Whether a job that wrote no file leaves one empty file (default: unless partitioned); a streaming sink's empty batch leaves none. */
  emptyFile?: boolean;
}

/**
 * Job commit: 'overwrite' first removes the directory's visible content (names not starting
 * with '_' or '.') and an old _SUCCESS; then each listed file, and only those (the attempts
 * whose results the scheduler returned: a retried or speculative attempt's files are never
 * listed), is renamed from `_temporary/<jobToken>/attempt-.../` to its place; the job's
 * temporary directory goes and `_SUCCESS` is written. Part file names carry the job token, so
 * appended files never replace older ones. Returns the rows committed.
 */
export async function commitJob(o: CommitOptions): Promise<number> {
  const tmp = jobTemporaryDir(o.path, o.jobToken);
  await mkdir(o.path, { recursive: true });
  if (o.mode === 'overwrite') {
    for (const name of await readdir(o.path)) {
      if (name === '_SUCCESS' || !(name.startsWith('_') || name.startsWith('.'))) await rm(join(o.path, name), { recursive: true, force: true });
    }
  }
  let rows = 0;
  const made = new Set<string>();
  for (const f of o.files) {
    const slash = f.file.indexOf('/');
    const rel = f.file.slice(slash + 1);
    if (slash <= 0 || !f.file.startsWith('attempt-') || rel.split('/').some((s) => s === '' || s === '..' || s === '.')) {
      throw new InternalError(`invariant violated: a write task reported the file '${f.file}'; this is a bug`);
    }
    const to = join(o.path, ...rel.split('/'));
    const dir = dirname(to);
    if (!made.has(dir)) { await mkdir(dir, { recursive: true }); made.add(dir); }
    await rename(join(tmp, ...f.file.split('/')), to);
    rows += f.rows;
  }
  if (o.files.length === 0 && (o.emptyFile ?? !o.partitioned)) {
    const name = `part-00000-${o.jobToken.slice(0, 8)}-000${FILE_EXTENSIONS[o.format]}`;
    await writeTable(o.format, join(o.path, name), [], o.schema, o.options, 'overwrite');
  }
  await removeTemporary(o.path, o.jobToken);
  await writeFile(join(o.path, '_SUCCESS'), '');
  return rows;
}

/** Job abort: the job's temporary directory goes, and the output directory too when the job made it and it holds nothing else. */
export async function abortJob(path: string, jobToken: string, created: boolean): Promise<void> {
  await removeTemporary(path, jobToken);
  if (created) await rmdir(path).catch(() => {});
}

async function removeTemporary(path: string, jobToken: string): Promise<void> {
  await rm(jobTemporaryDir(path, jobToken), { recursive: true, force: true });
  // Another job appending to the same directory may still use _temporary: only an empty one goes.
  await rmdir(join(path, '_temporary')).catch(() => {});
}

