// The distributed sort against DuckDB's ORDER BY in a local session (2 workers, inputs in 4 partitions).
import { Quiver } from '../../core/index.ts';
import { distributedSortSuite } from './sort-suite.ts';

distributedSortSuite('distributed sort vs DuckDB, local', () => Quiver.local({ workers: 2, batchSize: 500 }));
