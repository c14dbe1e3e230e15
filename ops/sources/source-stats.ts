// The planner's size estimate of a source: bytes it will take in memory (and rows, where the files say), recorded on the scan as options.totalBytes / totalRows.
import { statSync } from 'node:fs';
import type { FileFormat } from './options.ts';
import { parquetFileStats } from './parquet.ts';

export interface SourceStats {
  totalBytes: number;
  totalRows?: number;
}

/**
 * Why not the files' sizes for every format: Parquet compresses 3-5x (TPC-H, zstd), so a side
 * that takes 40 MB in memory looked like 10 MB and was broadcast; its footer says the
 * decompressed size and the row count. An image file's size says little about its decoded
 * pixels (h x w x c each, fixed), and a stat per file cost 0.2 s for 10,000 photos on every read.
 */
export function sourceStats(format: FileFormat, files: readonly string[], imageValues = 0): SourceStats {
  switch (format) {
    case 'parquet': {
      let totalBytes = 0, totalRows = 0;
      for (const f of files) {
        const s = parquetFileStats(f);
        totalBytes += s.bytes;
        totalRows += s.rows;
      }
      return { totalBytes, totalRows };
    }
    case 'images': {
      // The pixels (imageValues: h x w x c) plus the path and the two int32 sizes.
      return { totalBytes: files.length * (imageValues + 64), totalRows: files.length };
    }
    default: {
      let totalBytes = 0;
      for (const f of files) totalBytes += statSync(f).size;
      return { totalBytes };
    }
  }
}
