// File sinks: one file atomically (writeTable), part files per task (WriteFilesExec) and the driver's job commit.
export { writeTable, checkSinkColumns, checkWriteOptions, jsonLines, type SinkFormat, type WriteOptions } from './write-table.ts';
export { exists, pathExistsError, type SaveMode } from './atomic.ts';
export { abortJob, commitJob, prepareOutput, writtenFiles, type WriteMode, type WrittenFile } from './commit.ts';
export { FILE_EXTENSIONS, WRITTEN_FILE_FIELDS, WriteFilesExec, jobTemporaryDir, type WriteFilesOptions } from './write-files-exec.ts';
export { DEFAULT_PARTITION, escapePartitionValue, parsePartitionSegment, partitionDir, unescapePartitionValue } from './partition-path.ts';
export { timestampText, valueFormatter, type TextStyle } from './format-values.ts';
