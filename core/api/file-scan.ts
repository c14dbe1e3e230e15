// fileScan: the Scan node over files of one format (schema read or given, `col=value/` directories found); q.read and the files stream source build theirs here.
import { PlanError } from '../../ops/errors.ts';
import { discoverPartitions, IMAGE_DIRECTORY_FILTER, imageCodec, inferSchemaSync, resolvePathsSync, sourceStats } from '../../ops/sources/index.ts';
import { scan, type Scan, type SourceFormat } from '../plan/scan.ts';

export const FILE_FORMATS: readonly SourceFormat[] = ['text', 'csv', 'json', 'arrow', 'parquet', 'idx', 'images'];

/** A Scan over `paths` (files, directories, globs); reads schemas and footers now. */
export function fileScan(format: SourceFormat, paths: string | readonly string[], options: Readonly<Record<string, unknown>>): Scan {
  if (!FILE_FORMATS.includes(format)) {
    throw new PlanError(`read: unknown format '${format}': use text, csv, json, arrow, parquet, idx or images`);
  }
  const files = resolvePathsSync(paths, format === 'images' ? IMAGE_DIRECTORY_FILTER : undefined);
  const fileSchema = inferSchemaSync({ format, paths: files, options });
  const image = fileSchema.find((f) => f.name === 'image')?.type;
  const imageValues = format === 'images' && typeof image === 'object' && image !== null && 'size' in image ? Number(image.size) : 0;
  // Files under `col=value/` directories (df.write.partitionBy, Hive, Spark) get those columns after their own.
  const partitioning = format === 'idx' || format === 'images' ? null : discoverPartitions(files, fileSchema.map((f) => f.name));
  const source = { format, paths: files, options: { ...options, ...sourceStats(format, files, imageValues, fileSchema), ...(partitioning ? { partitioning } : {}) } };
  if (partitioning) return scan(source, [...fileSchema, ...partitioning.columns]);
  // libvips stays loaded on this thread while workers decode (see imageCodec).
  if (format === 'images') imageCodec();
  return scan(source, fileSchema);
}
