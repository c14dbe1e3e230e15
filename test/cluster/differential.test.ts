// The differential suite against DuckDB in cluster mode: a driver and 2 executor processes over a real nats-server.
import { afterAll, beforeAll } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { distributedSortSuite } from '../differential/sort-suite.ts';
import { differentialSuite } from '../differential/suite.ts';
import { startExecutor, type ExecutorProcess } from './cluster-helpers.ts';
import { startNats, type NatsServer } from './nats-server.ts';

let nats: NatsServer;
const executors: ExecutorProcess[] = [];
beforeAll(async () => {
  nats = await startNats();
  executors.push(...await Promise.all([1, 2].map((i) => startExecutor({ servers: nats.url, workers: 1, name: `diff${i}`, cluster: 'diff' }))));
}, 120_000);
afterAll(async () => {
  await Promise.all(executors.map((e) => e.stop()));
  await nats?.stop();
});

// 4 partitions with broadcast joins (the small side sent once per executor), then with every join shuffled.
differentialSuite('cluster mode (driver + 2 executors) vs DuckDB, 4 partitions', 4,
  () => Quiver.connect({ servers: nats.url, cluster: 'diff', minExecutors: 2, shufflePartitions: 4, batchSize: 500 }));
differentialSuite('cluster mode, shuffled joins, 3 partitions', 3,
  () => Quiver.connect({ servers: nats.url, cluster: 'diff', minExecutors: 2, shufflePartitions: 3, batchSize: 500, broadcastThresholdBytes: 0 }));

// orderBy over 4 partitions: key sample broadcast to the executors, range shuffle between them, one sort per range.
distributedSortSuite('cluster mode, distributed sort vs DuckDB',
  () => Quiver.connect({ servers: nats.url, cluster: 'diff', minExecutors: 2, batchSize: 500, singleTaskSortBytes: 0 }));
