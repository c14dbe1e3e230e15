// df.write[.mode(m)].<format>(path): runs the dataflow and writes the result atomically, refusing an existing path unless told.
import { PlanError } from '../../ops/errors.ts';
import { exists, pathExistsError, writeTable, type SaveMode } from '../../ops/sinks/index.ts';
import type { DataFrame } from './dataframe.ts';

export type WriteFormat = 'arrow' | 'parquet' | 'csv' | 'json';
export type { SaveMode };

const MODES: readonly string[] = ['error', 'overwrite', 'ignore'];

export class DataFrameWriter {
  constructor(private readonly df: DataFrame, private readonly saveMode: SaveMode = 'error') {
    Object.freeze(this);
  }

  /**
   * What to do when the output path exists (Spark's SaveMode): 'error' (the default) refuses
   * with a PlanError before the job runs; 'overwrite' replaces the file once the new one is
   * complete; 'ignore' leaves it, runs nothing and returns 0. 'append' is not supported yet.
   */
  mode(mode: SaveMode | 'append'): DataFrameWriter {
    if (mode === 'append') {
      throw new PlanError("mode('append') is not supported yet; write to a new path and read both (q.read.parquet([a, b])), or union the frames and write with mode('overwrite')");
    }
    if (!MODES.includes(mode)) throw new PlanError(`unknown save mode '${String(mode)}'; use 'error' (the default), 'overwrite' or 'ignore'`);
    return new DataFrameWriter(this.df, mode);
  }

  /**
   * Writes one file at `path`: to a temporary name first, moved into place on success, so a
   * failed job leaves no partial output. Returns the number of rows written (0 when mode
   * 'ignore' found the path taken).
   */
  async save(format: WriteFormat, path: string, options: Record<string, unknown> = {}): Promise<number> {
    // Checked before the job runs, so a refused write costs nothing; the commit checks again.
    if (this.saveMode !== 'overwrite' && await exists(path)) {
      if (this.saveMode === 'ignore') return 0;
      throw pathExistsError(path);
    }
    const t = await this.df.collect();
    return writeTable(format, path, t.batches, t.schema, options as any, this.saveMode);
  }
  arrow(path: string, options?: Record<string, unknown>): Promise<number> { return this.save('arrow', path, options); }
  parquet(path: string, options?: Record<string, unknown>): Promise<number> { return this.save('parquet', path, options); }
  csv(path: string, options?: Record<string, unknown>): Promise<number> { return this.save('csv', path, options); }
  json(path: string, options?: Record<string, unknown>): Promise<number> { return this.save('json', path, options); }
}
