// Public surface of ops/aggregate: hash aggregation and its partial (shuffle) schema.
export { HashAggregateExec } from './hash-aggregate-exec.ts';
export { partialSchema, type AggregateMode, type AggregateOptions } from './agg-spec.ts';
