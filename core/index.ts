// Public surface of the package: `import { Quiver, col, lit, fn } from 'quiver-df'`.
export { Quiver, type LocalOptions, type ConnectOptions } from './api/quiver.ts';
export type { ObservabilityOptions } from './obs/attach.ts';
export { readEventLog, eventLogFiles } from './obs/event-log.ts';
export { replay, type ObsState } from './obs/state.ts';
export { DataFrame, GroupedData, type JoinOn, type PredictOptions } from './api/dataframe.ts';
export { ModelRef } from './api/model.ts';
export { col, lit, when, Expr, CaseBuilder, type ColumnLike } from './api/column.ts';
export { fn } from './api/functions.ts';
export { Window, WindowSpec } from './api/window.ts';
export { DataFrameReader } from './api/reader.ts';
export { DataFrameWriter, type SaveMode } from './api/writer.ts';
export type { ToArrayOptions } from './api/show.ts';
export * from './errors.ts';
export type { FieldJSON, TypeJSON } from '../ops/types.ts';
export type { ExprNode } from '../ops/expr/node.ts';
export type { LogicalPlan } from './plan/node.ts';
export type { RuntimeEvent, EventListener } from './runtime/events.ts';
export type { JobMetrics, TaskProgress } from './runtime/runtime.ts';
