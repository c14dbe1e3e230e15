// Public surface of ops/joins: the hash join operator.
export { HashJoinExec, type HashJoinOptions, type JoinType } from './hash-join-exec.ts';
