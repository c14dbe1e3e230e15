// A DataFrame's feature and label columns as flat u8 arrays for training, cut into partitions, with the SHA-256 a model card records.
import * as arrow from 'apache-arrow';
import { createHash } from 'node:crypto';
import { DataError, PlanError } from '../../../ops/errors.ts';
import type { PartitionData } from './partition-data.ts';

export interface TrainRows {
  rows: number;
  features: number;
  /** rows x features, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
}

/** Reads `features` (fixed-size lists of u8) and `label` (integers 0..255) from a collected table. */
export function trainRows(t: arrow.Table, features: string, label: string, what: string): TrainRows {
  const names = t.schema.fields.map((f) => f.name);
  const fField = t.schema.fields.find((f) => f.name === features);
  const lField = t.schema.fields.find((f) => f.name === label);
  if (!fField) throw new PlanError(`train: ${what} has no feature column '${features}'; its columns are ${names.join(', ')} (pick one with the features option)`);
  if (!lField) throw new PlanError(`train: ${what} has no label column '${label}'; its columns are ${names.join(', ')} (pick one with the label option)`);
  const ft = fField.type;
  if (!arrow.DataType.isFixedSizeList(ft) || !(ft.children[0].type instanceof arrow.Uint8)) {
    throw new PlanError(`train: feature column '${features}' of ${what} is ${ft}, expected fixed_size_list<uint8> (e.g. images read with q.read.idx)`);
  }
  if (!arrow.DataType.isInt(lField.type)) throw new PlanError(`train: label column '${label}' of ${what} is ${lField.type}, expected integers`);
  const d = ft.listSize;
  const rows = t.numRows;
  const images = new Uint8Array(rows * d);
  const labels = new Uint8Array(rows);
  let at = 0;
  for (const b of t.batches) {
    const fd = b.getChild(features)!.data[0];
    const values = fd.children[0].values as Uint8Array;
    images.set(values.subarray((fd.offset + fd.children[0].offset) * d, (fd.offset + fd.children[0].offset + b.numRows) * d), at * d);
    const lv = b.getChild(label)!;
    for (let i = 0; i < b.numRows; i++) {
      const y = Number(lv.get(i));
      if (!Number.isInteger(y) || y < 0 || y > 255) throw new DataError(`train: label ${lv.get(i)} in row ${at + i} of ${what} is not a class id in 0..255`);
      labels[at + i] = y;
    }
    at += b.numRows;
  }
  return { rows, features: d, images, labels };
}

/** Cuts the rows into `n` contiguous partitions of near-equal size. */
export function partitionRows(r: TrainRows, n: number): PartitionData[] {
  const out: PartitionData[] = [];
  for (let p = 0; p < n; p++) {
    const from = Math.floor((p * r.rows) / n), to = Math.floor(((p + 1) * r.rows) / n);
    out.push({ partition: p, rows: to - from, features: r.features, images: r.images.subarray(from * r.features, to * r.features), labels: r.labels.subarray(from, to) });
  }
  return out;
}

/** SHA-256 of the features then the labels: the data's identity on a model card. */
export function dataSha256(r: TrainRows): string {
  return createHash('sha256').update(r.images).update(r.labels).digest('hex');
}
