// Differential tests: the same queries in Quiver (embedded) and DuckDB over generated data with nulls.
import { Quiver } from '../../core/index.ts';
import { differentialSuite } from './suite.ts';

for (const partitions of [1, 4]) {
  differentialSuite(`differential vs DuckDB, ${partitions} partition(s)`, partitions, () => Quiver.local({ workers: 2, shufflePartitions: partitions, batchSize: 500 }));
}
