// df.write[.mode(m)][.partitionBy(...)][.option(k, v)].<format>(path): each task writes its own part files; the driver commits the job.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { PlanError } from '../../ops/errors.ts';
import {
  abortJob, checkSinkColumns, checkWriteOptions, commitJob, prepareOutput, writtenFiles, type WriteMode, type WriteOptions,
} from '../../ops/sinks/index.ts';
import { toArrowSchema, typeToString } from '../../ops/types.ts';
import type { WriteFormat } from '../physical/phys-node.ts';
import type { DataFrame } from './dataframe.ts';

export type { WriteFormat };
export type SaveMode = WriteMode;

const MODES: readonly string[] = ['error', 'overwrite', 'append', 'ignore'];

/** Options of every format (the rest are the format's own: see WriteOptions). */
export interface WriterOptions extends WriteOptions {
  /** A part file holds at most this many rows; a task's further rows go to a new file. */
  maxRowsPerFile?: number;
}

interface WriterState {
  mode: WriteMode;
  partitionBy: readonly string[];
  options: Readonly<Record<string, unknown>>;
}

/**
 * Writes a directory of part files, as Spark does: every task writes its own rows (the driver
 * never holds them) under `<path>/_temporary/<job>/`, and once the job has succeeded the driver
 * moves the files of the attempts it kept into place and writes `_SUCCESS`. A failed job leaves
 * no visible output; retried attempts never add rows twice. Immutable: each method returns a new writer.
 */
export class DataFrameWriter {
  private readonly state: WriterState;

  constructor(private readonly df: DataFrame, state?: WriterState) {
    this.state = Object.freeze(state ?? { mode: 'error', partitionBy: [], options: {} });
    Object.freeze(this);
  }

  /**
   * What to do when the output path exists (Spark's SaveMode): 'error' (the default) refuses
   * with a PlanError before the job runs; 'overwrite' replaces the directory's content once the
   * job has succeeded; 'append' adds part files beside the old ones; 'ignore' leaves it, runs
   * nothing and returns 0.
   */
  mode(mode: WriteMode): DataFrameWriter {
    if (!MODES.includes(mode)) throw new PlanError(`unknown save mode '${String(mode)}'; use 'error' (the default), 'overwrite', 'append' or 'ignore'`);
    return new DataFrameWriter(this.df, { ...this.state, mode });
  }

  /**
   * Writes each row under `col=value/` directories (nested in the order given) and leaves these
   * columns out of the files; readers add them back from the directory names. Nulls and empty
   * strings go to `col=__HIVE_DEFAULT_PARTITION__`; '/', '=', '%', ':' and the like are %XX-escaped.
   */
  partitionBy(...columns: string[]): DataFrameWriter {
    const names = this.df.columns;
    for (const c of columns) {
      if (!names.includes(c)) throw new PlanError(`partitionBy: '${c}' is not a column; columns: ${names.join(', ')}`);
      const t = this.df.schema.find((f) => f.name === c)!.type;
      if (typeof t === 'object') throw new PlanError(`partitionBy: column '${c}' has type ${typeToString(t)}; partition by plain values, e.g. a struct's field: df.withColumn('${c}_x', col('${c}.x'))`);
    }
    return new DataFrameWriter(this.df, { ...this.state, partitionBy: [...columns] });
  }

  /** One option (a format's, or maxRowsPerFile). */
  option(key: string, value: unknown): DataFrameWriter {
    return new DataFrameWriter(this.df, { ...this.state, options: { ...this.state.options, [key]: value } });
  }

  /** Several options at once. */
  options(options: WriterOptions): DataFrameWriter {
    return new DataFrameWriter(this.df, { ...this.state, options: { ...this.state.options, ...options } });
  }

  /** Runs the job and commits its files under `path` (a directory). Returns the number of rows written (0 when 'ignore' found the path taken). */
  async save(format: WriteFormat, path: string, options: WriterOptions = {}): Promise<number> {
    const { maxRowsPerFile = null, ...formatOptions } = { ...this.state.options, ...options } as Record<string, unknown>;
    checkWriteOptions(format, formatOptions);
    checkSinkColumns(format, this.df.schema);
    if (maxRowsPerFile !== null && (!Number.isInteger(maxRowsPerFile) || (maxRowsPerFile as number) < 1)) {
      throw new PlanError(`maxRowsPerFile must be a positive integer, got ${String(maxRowsPerFile)}`);
    }
    const target = resolve(path);
    const { mode, partitionBy } = this.state;
    const state = await prepareOutput(target, mode);
    if (!state.run) return 0;
    const jobToken = randomBytes(8).toString('hex');
    let files;
    try {
      const result = await this.df.session.execute(this.df.plan, {
        format, path: target, jobToken, partitionBy: [...partitionBy], options: formatOptions, maxRowsPerFile: maxRowsPerFile as number | null,
      });
      files = writtenFiles(result);
    } catch (e) {
      await abortJob(target, jobToken, state.created);
      throw e;
    }
    const data = this.df.schema.filter((f) => !partitionBy.includes(f.name));
    return commitJob({ path: target, jobToken, mode, files, format, schema: toArrowSchema(data), options: formatOptions as WriteOptions, partitioned: partitionBy.length > 0 });
  }
  arrow(path: string, options?: WriterOptions): Promise<number> { return this.save('arrow', path, options); }
  parquet(path: string, options?: WriterOptions): Promise<number> { return this.save('parquet', path, options); }
  csv(path: string, options?: WriterOptions): Promise<number> { return this.save('csv', path, options); }
  json(path: string, options?: WriterOptions): Promise<number> { return this.save('json', path, options); }
}
