// Public surface of structured streaming (micro-batches over the DataFrame API).
export type { Offset, OffsetRecord, CommitRecord, SourceRange } from './offsets.ts';
export type { Source, SourceBatch, SourceContext } from './source.ts';
export type { Sink } from './sink.ts';
export type { StreamingQueryProgress, StreamingQueryStatus, SourceProgress, SinkProgress, Phase } from './progress.ts';
export type { TriggerSpec } from './trigger.ts';
export type { RateOptions } from './sources/rate-source.ts';
export type { FileStreamOptions } from './sources/file-source.ts';
export type { JetStreamOptions } from './sources/jetstream-source.ts';
export { StreamingQuery } from './streaming-query.ts';
export { StreamingQueryManager } from './query-manager.ts';
export { Checkpoint } from './checkpoint.ts';
export type { KvSinkOptions } from './sinks/kv-sink.ts';
export { kvKey, type KeyPart } from './sinks/kv-key.ts';
