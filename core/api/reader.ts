// q.read.<format>(path | glob | paths[], options): DataFrames over files; schemas are read when the plan is built.
import { resolvePathsSync } from '../../ops/sources/index.ts';
import type { FieldJSON } from '../../ops/types.ts';
import type { SourceFormat } from '../plan/scan.ts';
import { fileScan } from './file-scan.ts';
import { DataFrame } from './dataframe.ts';
import type { Session } from './session.ts';

export interface ReadOptions {
  /** 'failfast' (default): stop at the first bad record with its file, line and column. 'permissive': skip, count and quarantine it. */
  mode?: 'failfast' | 'permissive';
  /** Directory where permissive mode writes each bad record with its reason. */
  badRecordsPath?: string;
  /** A given schema instead of inference. */
  schema?: FieldJSON[] | string;
  [option: string]: unknown;
}

export interface CsvOptions extends ReadOptions {
  header?: boolean;
  delimiter?: string;
  quote?: string;
}

export interface IdxOptions {
  /** Label files paired with the image files, record by record: true (named like them), a path, or paths in the same order. */
  labels?: boolean | string | readonly string[];
}

export interface ImageOptions {
  /** [height, width] every image is fitted to (required: the image column has a fixed length). */
  size: readonly [number, number];
  /** 3: RGB (default; gray images are copied to R, G and B). 1: gray (luminance). */
  channels?: 1 | 3;
  /** 'cover' (default): fill the size, crop the overflow (centred). 'contain': fit inside, pad with black. 'fill': stretch. */
  fit?: 'cover' | 'contain' | 'fill';
  /** A bad image: 'failfast' (default) stops with its file and sharp's reason; 'permissive' drops the row and quarantines the file; 'dropMalformed' drops the row. */
  mode?: 'failfast' | 'permissive' | 'dropMalformed';
  /** Directory where permissive mode writes each bad image's path and reason. */
  badRecordsPath?: string;
}

export class DataFrameReader {
  constructor(private readonly session: Session) {}

  /** Any format by name. */
  format(format: SourceFormat, paths: string | readonly string[], options: ReadOptions = {}): DataFrame {
    return new DataFrame(this.session, fileScan(format, paths, options));
  }

  /** Lines of text files as one utf8 column `line`. */
  text(paths: string | readonly string[], options: ReadOptions = {}): DataFrame { return this.format('text', paths, options); }
  csv(paths: string | readonly string[], options: CsvOptions = {}): DataFrame { return this.format('csv', paths, options); }
  /** JSON lines: one object per line. */
  json(paths: string | readonly string[], options: ReadOptions = {}): DataFrame { return this.format('json', paths, options); }
  /** Arrow IPC, file or stream format. */
  arrow(paths: string | readonly string[], options: ReadOptions = {}): DataFrame { return this.format('arrow', paths, options); }
  parquet(paths: string | readonly string[], options: ReadOptions = {}): DataFrame { return this.format('parquet', paths, options); }
  /**
   * IDX files (MNIST / Fashion-MNIST, raw or .gz): column `image` (fixed_size_list<uint8>) and,
   * with `labels` (true: the matching '*-labels-idx1-*' file; or paths), column `label` (int32).
   */
  idx(paths: string | readonly string[], options: IdxOptions = {}): DataFrame {
    const { labels, ...rest } = options;
    const resolved = typeof labels === 'string' || Array.isArray(labels) ? resolvePathsSync(labels) : labels;
    return this.format('idx', paths, { ...rest, labels: resolved });
  }
  /**
   * Image files (JPEG, PNG, WebP, GIF, TIFF, AVIF, ...; a directory reads its image files by
   * extension, sorted by path): columns `path`, `width` and `height` (the picture as shown) and
   * `image` fixed_size_list<uint8>[h*w*c], HWC row-major, fitted to `size` = [h, w].
   */
  images(paths: string | readonly string[], options: ImageOptions): DataFrame {
    // ReadOptions' mode lacks 'dropMalformed' (images only); the options are validated by parseReadOptions.
    const o: Record<string, unknown> = { ...options, size: Array.isArray(options?.size) ? [...options.size] : options?.size };
    return this.format('images', paths, o);
  }
}
