// The capacity planner's public surface: fit event logs, model stages as queues (checked by simulation), answer a target rate or a what-if.
export { planCapacity, ASSUMPTIONS, type CapacityPlan, type JobPlan, type PipelinePlan, type PlanOptions, type StagePlan, type WhatIf } from './plan.ts';
export { planText } from './format.ts';
export { fitEventLogs, type Device, type JobShapeFit, type ShapeStage, type StageFit } from './fit.ts';
export { predictBatch, type BatchPrediction } from './batch.ts';
export { analyzeTandem, simulatePipeline, sizeTandem, type PipeStage } from './pipeline.ts';
export { stageQueue, erlangC, type QueueMeasures } from './mgc.ts';
export { simulateTandem, type SimResult } from './simulate.ts';
export { parseRate, parseDuration } from './units.ts';
