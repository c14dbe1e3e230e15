// An IDX file of uint8 values (the format q.read.idx reads), for predict tests.
export function idxUint8(dims: number[], values: Uint8Array): Buffer {
  const b = Buffer.alloc(4 + 4 * dims.length + values.length);
  b[2] = 8; b[3] = dims.length;
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  b.set(values, 4 + 4 * dims.length);
  return b;
}
