// Gzip IDX in cluster mode: an executor allowed to read only the data directory reads the splits (they name the user's files, not a driver cache path).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Quiver } from '../../core/index.ts';
import { startExecutor, type ExecutorProcess } from '../cluster/cluster-helpers.ts';
import { startNats, type NatsServer } from '../cluster/nats-server.ts';
import { idxU8 as idx } from '../io/helpers.ts';

const N = 300, D = 12;
const CLUSTER = 'idx-paths';

let nats: NatsServer, executor: ExecutorProcess, data: string;
beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), 'quiver-idx-cluster-'));
  writeFileSync(join(data, 'c-images-idx3-ubyte.gz'), gzipSync(idx([N, 3, 4], Uint8Array.from({ length: N * D }, (_, k) => Math.floor(k / D) % 256))));
  writeFileSync(join(data, 'c-labels-idx1-ubyte.gz'), gzipSync(idx([N], Uint8Array.from({ length: N }, (_, i) => i % 10))));
  nats = await startNats();
  // Nothing but the data directory: not the temp directory where a driver could keep inflated copies.
  executor = await startExecutor({ servers: nats.url, workers: 2, name: 'idx-reader', cluster: CLUSTER, paths: [data] });
}, 60_000);
afterAll(async () => {
  await executor?.kill9();
  await nats?.stop();
});

it('reads gzip images and labels on an executor that may read only the data directory', async () => {
  const q = await Quiver.connect({ servers: nats.url, cluster: CLUSTER, minExecutors: 1, targetSplitBytes: 40 * D });
  try {
    const rows = await q.read.idx(join(data, 'c-images-idx3-ubyte.gz'), { labels: true }).toArray();
    expect(rows).toHaveLength(N);
    rows.forEach((r, i) => {
      expect(r.label).toBe(i % 10);
      expect([...(r.image as Iterable<number>)]).toEqual(new Array(D).fill(i % 256));
    });
  } finally {
    await q.close();
  }
}, 60_000);
