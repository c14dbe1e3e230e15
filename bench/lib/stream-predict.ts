// Streaming predict against batch predict: the same Fashion-MNIST PNG files tagged by the same model, read from a directory (batch) and from JetStream message bodies (stream).
import type { JetStreamManager } from '@nats-io/jetstream';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Quiver } from '../../core/index.ts';
import { writeFmnistFiles } from '../../examples/lib/fmnist-files.ts';

export interface PredictStreamFigures {
  images: number;
  /** Per run, seconds for all images: batch (read.images -> predict) and stream (readStream.jetstream bytes -> predict, availableNow). */
  batchSeconds: number[];
  streamSeconds: number[];
  batchImagesPerSecond: number;
  streamImagesPerSecond: number;
  /** Streaming / batch images per second (medians). */
  ratio: number;
  /** Micro-batches the stream took (last run). */
  batches: number;
  /** Whether every image got the same tag both ways. */
  sameTags: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * Tags `images` Fashion-MNIST test pictures (28x28 gray PNGs under `dir`) with `modelDir`'s model,
 * `runs` times each way after one warm-up each: in batch from the directory, and as a stream
 * whose messages are the same files' bytes, published to JetStream before the query starts and
 * read with the availableNow trigger (the time is from start() until every image's tag is out).
 */
export async function streamVsBatchPredict(o: { q: Quiver; nc: NatsConnection; jsm: JetStreamManager; natsUrl: string; dir: string; modelDir: string; checkpoints: string; images: number; runs: number }): Promise<PredictStreamFigures> {
  const { files } = await writeFmnistFiles({ format: 'png', dir: o.dir, limit: o.images });
  const model = o.q.model(o.modelDir);
  const batch = async (): Promise<Int32Array> => {
    const t = await o.q.read.images(o.dir, { size: [28, 28], channels: 1 }).predict(model).select('path', 'labelId').collect();
    const byPath = new Map<string, number>();
    const paths = t.getChild('path')!, ids = t.getChild('labelId')!;
    for (let i = 0; i < t.numRows; i++) byPath.set(paths.get(i) as string, ids.get(i) as number);
    return Int32Array.from(files, (f) => byPath.get(f) ?? -1);
  };
  const js = jetstream(o.nc);
  let streams = 0;
  const stream = async (): Promise<{ seconds: number; tags: Int32Array; batches: number }> => {
    const name = `PREDICT${++streams}`;
    await o.jsm.streams.add({ name, subjects: [`${name}.in`] });
    // Published first, 64 acks in flight: the stream then holds every image when the query starts.
    let pending: Promise<unknown>[] = [];
    for (const f of files) {
      pending.push(js.publish(`${name}.in`, readFileSync(f)));
      if (pending.length === 64) { await Promise.all(pending); pending = []; }
    }
    await Promise.all(pending);
    const tags = new Int32Array(files.length).fill(-1);
    let batches = 0;
    const t0 = performance.now();
    const query = await o.q.readStream.jetstream({ servers: o.natsUrl, stream: name, durable: 'tagger', format: 'bytes' })
      .predict(model, { inputCol: 'data' }).select('sequence', 'labelId')
      .writeStream.option('checkpointLocation', join(o.checkpoints, name)).trigger({ availableNow: true })
      .foreachBatch(async (df) => {
        batches++;
        const t = await df.collect();
        const seq = t.getChild('sequence')!, ids = t.getChild('labelId')!;
        for (let i = 0; i < t.numRows; i++) tags[Number(seq.get(i)) - 1] = ids.get(i) as number;
      })
      .start();
    await query.awaitTermination();
    const seconds = (performance.now() - t0) / 1000;
    await o.jsm.streams.delete(name);
    return { seconds, tags, batches };
  };
  const reference = await batch();
  await stream();
  const batchSeconds: number[] = [], streamSeconds: number[] = [];
  let last: { seconds: number; tags: Int32Array; batches: number } = { seconds: 0, tags: new Int32Array(0), batches: 0 };
  for (let r = 0; r < o.runs; r++) {
    const t0 = performance.now();
    await batch();
    batchSeconds.push((performance.now() - t0) / 1000);
    last = await stream();
    streamSeconds.push(last.seconds);
  }
  const batchImagesPerSecond = files.length / median(batchSeconds);
  const streamImagesPerSecond = files.length / median(streamSeconds);
  return {
    images: files.length, batchSeconds, streamSeconds, batchImagesPerSecond, streamImagesPerSecond,
    ratio: streamImagesPerSecond / batchImagesPerSecond, batches: last.batches,
    sameTags: !reference.includes(-1) && reference.every((x, i) => x === last.tags[i]),
  };
}
