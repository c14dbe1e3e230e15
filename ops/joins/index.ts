// Public surface of ops/joins: the hash join and nested-loop join operators.
export { HashJoinExec, type HashJoinOptions, type JoinType } from './hash-join-exec.ts';
export { NestedLoopJoinExec, type NestedLoopJoinOptions } from './nested-loop-join-exec.ts';
