// Public surface of the sort family: SortExec, SortPreservingMergeExec, range partitioning, the merge and the row comparator.
export { SortExec, type SortOptions } from './sort-exec.ts';
export { SortPreservingMergeExec, type SortPreservingMergeOptions } from './sort-preserving-merge-exec.ts';
export { SampleExec, type SampleOptions } from './sample-exec.ts';
export { RangePartitionExec, RANGE_PARTITION_COLUMN, rangeBounds, rangePartitionOf, type RangeBounds, type RangePartitionOptions } from './range-partition-exec.ts';
export { mergeSorted, type MergeOptions } from './merge.ts';
export { sortIndices } from './sort-indices.ts';
export { compileSortKeys, compareRows, keyColumn, keysToString, KeyTag, type CompiledSortKeys, type KeyColumn, type SortOrder } from './sort-keys.ts';
