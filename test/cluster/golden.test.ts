// The golden cases in cluster mode: the same scheduler over executors instead of worker threads (a driver and 2 executor processes over a real nats-server).
import { afterAll, beforeAll } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { goldenSuite } from '../golden/suite.ts';
import { startExecutor, type ExecutorProcess } from './cluster-helpers.ts';
import { startNats, type NatsServer } from './nats-server.ts';

let nats: NatsServer;
const executors: ExecutorProcess[] = [];
beforeAll(async () => {
  nats = await startNats();
  executors.push(...await Promise.all([1, 2].map((i) => startExecutor({ servers: nats.url, workers: 1, name: `golden${i}`, cluster: 'golden' }))));
}, 120_000);
afterAll(async () => {
  await Promise.all(executors.map((e) => e.stop()));
  await nats?.stop();
});

goldenSuite('golden, cluster mode (driver + 2 executors), 4 partitions, batch 2, plan via JSON', { partitions: 4, batchSize: 2, roundTrip: true },
  (c) => Quiver.connect({ servers: nats.url, cluster: 'golden', minExecutors: 2, batchSize: c.batchSize, shufflePartitions: c.partitions }));
