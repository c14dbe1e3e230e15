// Parameter-server training across executors: the public surface.
export type { ClockRecord, Consistency } from './clock-gate.ts';
export type { EpochStats, ShardRestore } from './coordinator.ts';
export { checkTrainOptions, type TrainOptions, type TrainProgress } from './options.ts';
export { progressLine, stalenessText } from './progress.ts';
export { trainAcrossExecutors, type TrainResult } from './train.ts';
export { trainRows } from './training-data.ts';
