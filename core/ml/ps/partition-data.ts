// A training partition as bytes (features u8 row-major, labels u8) as the driver serves it to workers, and each epoch's seeded row order within it.
import * as v from 'valibot';
import { mulberry32 } from '../../../ops/compute/random.ts';
import { DataError } from '../../../ops/errors.ts';
import { decodeFrame, encodeFrame } from './wire.ts';

const Count = v.pipe(v.number(), v.integer(), v.minValue(0));
const Header = v.object({ format: v.literal('quiver-ps-partition'), partition: Count, rows: Count, features: Count });

export interface PartitionData {
  partition: number;
  rows: number;
  features: number;
  /** rows x features, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
}

export function encodePartition(p: PartitionData): Uint8Array {
  const payload = new Uint8Array(p.rows * p.features + p.rows);
  payload.set(p.images.subarray(0, p.rows * p.features), 0);
  payload.set(p.labels.subarray(0, p.rows), p.rows * p.features);
  return encodeFrame({ format: 'quiver-ps-partition', partition: p.partition, rows: p.rows, features: p.features }, payload);
}

/** Decodes into SharedArrayBuffers (the worker pool's threads read them without a copy). */
export function decodePartition(bytes: Uint8Array, what: string): PartitionData {
  const d = decodeFrame(Header, bytes);
  if (!d.ok) throw new DataError(`${what}: ${d.reason}`);
  const { rows, features, partition } = d.header;
  if (d.payload.length !== rows * features + rows) throw new DataError(`${what}: ${d.payload.length} bytes for ${rows} rows of ${features} features and a label`);
  const images = new Uint8Array(new SharedArrayBuffer(rows * features));
  images.set(d.payload.subarray(0, rows * features));
  const labels = new Uint8Array(new SharedArrayBuffer(Math.max(1, rows)));
  labels.set(d.payload.subarray(rows * features));
  return { partition, rows, features, images, labels };
}

/**
 * The order of a partition's rows in `epoch` (Fisher-Yates with a generator seeded by seed,
 * epoch and partition): the driver hands out positions in it, each worker computes it alike.
 */
export function epochOrder(rows: number, seed: number, epoch: number, partition: number): Int32Array {
  const order = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, rows)));
  for (let i = 0; i < rows; i++) order[i] = i;
  const rand = mulberry32((seed * 0x9e3779b1) ^ (epoch * 0x85ebca6b) ^ (partition * 0xc2b2ae35));
  for (let i = rows - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); const t = order[i]; order[i] = order[j]; order[j] = t; }
  return order;
}
