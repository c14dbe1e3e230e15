// A cluster for tests that kill executors: a nats-server, executors 'a' and 'b' (one worker each, heartbeats every 250 ms) and a driver that declares one lost after 1.5 s of silence; every runtime event is kept.
import { afterAll, beforeAll } from 'vitest';
import { Quiver, type RuntimeEvent } from '../../core/index.ts';
import { startExecutor, type ExecutorProcess } from './cluster-helpers.ts';
import { startNats, type NatsServer } from './nats-server.ts';

export interface KillableCluster {
  nats: NatsServer;
  q: Quiver;
  /** The executors running now (a test that kills one replaces it here). */
  executors: ExecutorProcess[];
  events: RuntimeEvent[];
  /** Starts another executor of this cluster. */
  exec(name: string): Promise<ExecutorProcess>;
}

/** Starts the cluster before the file's tests and stops it after them (the executors with SIGKILL). */
export function useKillableCluster(cluster: string, o: { driverTimeoutMs: number; shufflePartitions: number; coalescePartitionBytes?: number; broadcastThresholdBytes?: number; singleTaskSortBytes?: number }): KillableCluster {
  const c = {
    executors: [], events: [],
    exec: (name: string) => startExecutor({ servers: c.nats.url, workers: 1, name, cluster, driverTimeoutMs: o.driverTimeoutMs, heartbeatMs: 250 }),
  } as unknown as KillableCluster;
  beforeAll(async () => {
    c.nats = await startNats();
    c.executors = await Promise.all([c.exec('a'), c.exec('b')]);
    c.q = await Quiver.connect({ servers: c.nats.url, cluster, minExecutors: 2, heartbeatTimeoutMs: 1500, shufflePartitions: o.shufflePartitions, coalescePartitionBytes: o.coalescePartitionBytes, broadcastThresholdBytes: o.broadcastThresholdBytes, singleTaskSortBytes: o.singleTaskSortBytes });
    c.q.onEvent((e) => c.events.push(e));
  }, 120_000);
  afterAll(async () => {
    await c.q?.close();
    await Promise.all(c.executors.map((e) => e.kill9()));
    await c.nats?.stop();
  });
  return c;
}
