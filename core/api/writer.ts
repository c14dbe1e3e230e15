// df.write.<format>(path): runs the dataflow and writes the result atomically.
import { writeTable } from '../../ops/sinks/index.ts';
import type { DataFrame } from './dataframe.ts';

export type WriteFormat = 'arrow' | 'parquet' | 'csv' | 'json';

export class DataFrameWriter {
  constructor(private readonly df: DataFrame) {}

  /**
   * Writes one file at `path`: to a temporary name first, renamed on success, so a failed
   * job leaves no partial output. Returns the number of rows written.
   */
  async save(format: WriteFormat, path: string, options: Record<string, unknown> = {}): Promise<number> {
    const t = await this.df.collect();
    await writeTable(format, path, t.batches, t.schema, options as any);
    return t.numRows;
  }
  arrow(path: string, options?: Record<string, unknown>): Promise<number> { return this.save('arrow', path, options); }
  parquet(path: string, options?: Record<string, unknown>): Promise<number> { return this.save('parquet', path, options); }
  csv(path: string, options?: Record<string, unknown>): Promise<number> { return this.save('csv', path, options); }
  json(path: string, options?: Record<string, unknown>): Promise<number> { return this.save('json', path, options); }
}
