// Public surface of the sort family: SortExec, SortPreservingMergeExec, the merge and the row comparator.
export { SortExec, type SortOptions } from './sort-exec.ts';
export { SortPreservingMergeExec, type SortPreservingMergeOptions } from './sort-preserving-merge-exec.ts';
export { mergeSorted, type MergeOptions } from './merge.ts';
export { sortIndices } from './sort-indices.ts';
export { compileSortKeys, compareRows, keyColumn, keysToString, KeyTag, type CompiledSortKeys, type KeyColumn, type SortOrder } from './sort-keys.ts';
