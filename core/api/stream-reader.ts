// q.readStream.<source>(...): streaming DataFrames (rate, files, jetstream); nothing is read until writeStream...start().
import { resolve } from 'node:path';
import { PlanError } from '../../ops/errors.ts';
import { inferSchemaSync, parseSchemaOption } from '../../ops/sources/index.ts';
import type { FieldJSON } from '../../ops/types.ts';
import { streamScan, type StreamSourceSpec } from '../plan/stream-scan.ts';
import { checkRateOptions, RATE_SCHEMA, type RateOptions } from '../stream/sources/rate-source.ts';
import { listStreamFiles, STREAM_FILE_FORMATS, type FileStreamOptions } from '../stream/sources/file-source.ts';
import { JETSTREAM_BYTES_SCHEMA, type JetStreamOptions } from '../stream/sources/jetstream-source.ts';
import { DataFrame } from './dataframe.ts';
import type { Session } from './session.ts';

let nextStream = 0;

export class DataStreamReader {
  constructor(private readonly session: Session) {}

  private df(source: StreamSourceSpec, schema: readonly FieldJSON[]): DataFrame {
    return new DataFrame(this.session, streamScan(`stream${nextStream++}`, source, schema));
  }

  /** Rows (timestamp timestamp_ms, value int64) at `rowsPerSecond` (default 1): value n is due n / rowsPerSecond after the query's first start. */
  rate(options: RateOptions = {}): DataFrame {
    const o = checkRateOptions(options);
    return this.df({ format: 'rate', options: { ...o } }, RATE_SCHEMA);
  }

  /**
   * The files landing in directory `dir` (not below it), each read once, in name order, by
   * `format` ('json', 'csv', 'parquet', 'arrow', 'text'). `schema` is required unless the
   * directory already holds a file to infer it from. Write files elsewhere (or under a name
   * starting with '.' or '_') and rename them in: a batch may otherwise read one half written.
   */
  files(dir: string, options: FileStreamOptions): DataFrame {
    const format = options?.format;
    if (!STREAM_FILE_FORMATS.includes(format)) throw new PlanError(`readStream.files: format must be one of ${STREAM_FILE_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
    const { format: _f, schema: _s, maxFilesPerTrigger, ...readOptions } = options;
    if (maxFilesPerTrigger !== undefined && (!Number.isInteger(maxFilesPerTrigger) || maxFilesPerTrigger < 1)) {
      throw new PlanError(`readStream.files: maxFilesPerTrigger must be a positive integer, got ${JSON.stringify(maxFilesPerTrigger)}`);
    }
    const path = resolve(dir);
    let schema: FieldJSON[];
    if (options.schema !== undefined) schema = parseSchemaOption(options.schema);
    else {
      const [first] = listStreamFiles(path);
      if (first === undefined) throw new PlanError(`readStream.files('${path}'): the directory holds no file to infer the schema from; give one, e.g. { format: '${format}', schema: 'id INT, name STRING' }`);
      schema = inferSchemaSync({ format, paths: [first], options: readOptions });
    }
    return this.df({ format: 'files', options: { ...options, path, schema } }, schema);
  }

  /**
   * Messages of a NATS JetStream stream through a durable consumer: 'json' (one object per
   * message, `schema` required) or 'bytes' (subject, sequence, timestamp, data). Messages are
   * acked only once the batch holding them is committed by the sink.
   */
  jetstream(options: JetStreamOptions): DataFrame {
    const o = options ?? ({} as JetStreamOptions);
    for (const k of ['stream', 'durable'] as const) {
      if (typeof o[k] !== 'string' || o[k] === '') throw new PlanError(`readStream.jetstream: give ${k}, e.g. { servers: 'nats://127.0.0.1:4222', stream: 'EVENTS', durable: 'tagger', format: 'json', schema }`);
    }
    if (!o.servers) throw new PlanError("readStream.jetstream: give servers, e.g. 'nats://127.0.0.1:4222'");
    if (o.format !== 'json' && o.format !== 'bytes') throw new PlanError(`readStream.jetstream: format must be 'json' or 'bytes', got ${JSON.stringify(o.format)}`);
    if (o.maxMessagesPerBatch !== undefined && (!Number.isInteger(o.maxMessagesPerBatch) || o.maxMessagesPerBatch < 1)) {
      throw new PlanError(`readStream.jetstream: maxMessagesPerBatch must be a positive integer, got ${JSON.stringify(o.maxMessagesPerBatch)}`);
    }
    checkBadMessageOptions(o);
    let schema: readonly FieldJSON[] = JETSTREAM_BYTES_SCHEMA;
    if (o.format === 'json') {
      if (o.schema === undefined) throw new PlanError("readStream.jetstream: format 'json' needs a schema, e.g. schema: 'id BIGINT, label STRING'");
      schema = parseSchemaOption(o.schema);
    }
    const deadLetter = o.deadLetter !== undefined && 'path' in o.deadLetter ? { deadLetter: { path: resolve(o.deadLetter.path) } } : {};
    return this.df({ format: 'jetstream', options: { ...o, schema: [...schema], ...deadLetter } }, schema);
  }
}

/** mode and deadLetter of readStream.jetstream: permissive needs a dead-letter place, and only json reads can find bad messages. */
function checkBadMessageOptions(o: JetStreamOptions): void {
  if ((o as { badRecordsPath?: unknown }).badRecordsPath !== undefined) {
    throw new PlanError("readStream.jetstream: bad messages go to a deadLetter, not a badRecordsPath: give mode: 'permissive' with deadLetter: { path: '...' } (files) or { subject: '...' } (a JetStream subject)");
  }
  if (o.mode !== undefined && o.mode !== 'failfast' && o.mode !== 'permissive') {
    throw new PlanError(`readStream.jetstream: mode must be 'failfast' or 'permissive', got ${JSON.stringify(o.mode)}`);
  }
  if (o.mode === 'permissive' && o.format !== 'json') throw new PlanError("readStream.jetstream: mode 'permissive' is for format 'json' (format 'bytes' reads every message)");
  const dl = o.deadLetter as { subject?: unknown; path?: unknown } | undefined;
  if (o.mode === 'permissive' && dl === undefined) {
    throw new PlanError("readStream.jetstream: mode 'permissive' needs a deadLetter for the bad messages: { subject: 'events.dead' } (a subject a JetStream stream captures) or { path: '/data/dead' }");
  }
  if (dl === undefined) return;
  if (o.mode !== 'permissive') throw new PlanError("readStream.jetstream: deadLetter is for mode 'permissive' (failfast stops at the first bad message); add mode: 'permissive'");
  const subject = typeof dl.subject === 'string' && dl.subject !== '' && !/[\s*>]/.test(dl.subject);
  const path = typeof dl.path === 'string' && dl.path !== '';
  if (subject === path || Object.keys(dl).length !== 1) {
    throw new PlanError(`readStream.jetstream: deadLetter must be { subject } (a subject without spaces or wildcards) or { path } (a directory), got ${JSON.stringify(dl)}`);
  }
}
