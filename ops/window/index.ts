// Public surface of the window family: WindowExec and the frame machinery it runs on.
export { WindowExec, type WindowOptions } from './window-exec.ts';
export { frameBounds, peersOf, segmentsOf, type FrameBounds, type Peers, type RangeKey, type Segment } from './frames.ts';
export { frameAggregate, type FrameAggFn } from './frame-aggregates.ts';
export { rankFunction, type RankInputs } from './rank-functions.ts';
