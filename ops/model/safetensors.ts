// safetensors: read and write the weights format of PyTorch and Hugging Face tools, with full validation.
//
// Layout: an 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}},
// then the tensor bytes (little-endian, row-major), offsets relative to the end of the header.
import { DataError } from '../errors.ts';

export type SafeDtype = 'F32' | 'F16' | 'F64' | 'I32' | 'I64' | 'U8' | 'I8' | 'BF16';

const WIDTH: Record<SafeDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I32: 4, I64: 8, U8: 1, I8: 1 };

export interface SafeTensor {
  dtype: SafeDtype;
  shape: number[];
  /** The tensor's bytes (a view into the file buffer). */
  bytes: Uint8Array;
}

export interface SafeFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

/** Headers larger than this are refused (the format's own reference limit is 100 MB). */
const MAX_HEADER = 100 * 1024 * 1024;

/**
 * Parses a safetensors file. Everything is checked, so that a truncated or corrupt file is an
 * error, never wrong weights: header length and JSON, known dtypes, shapes of non-negative
 * integers, byte sizes matching shape x dtype, offsets inside the data and covering it
 * exactly once with no gaps or overlaps. `file` names the file in errors.
 */
export function parseSafetensors(buf: Uint8Array, file: string): SafeFile {
  if (buf.length < 8) throw new DataError(`not a safetensors file: ${buf.length} bytes, shorter than the 8-byte header length`, { file, offset: 0 });
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n > MAX_HEADER || 8 + n > buf.length) throw new DataError(`corrupt or truncated safetensors file: header length ${n} does not fit in ${buf.length} bytes`, { file, offset: 0 });
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n)));
  } catch (e) {
    throw new DataError(`corrupt safetensors header (not UTF-8 JSON): ${(e as Error).message}`, { file, offset: 8 }, { cause: e });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new DataError('corrupt safetensors header: not a JSON object', { file, offset: 8 });
  const data = buf.subarray(8 + n);
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null || Object.values(v).some((x) => typeof x !== 'string')) throw new DataError('safetensors __metadata__ must map strings to strings', { file, offset: 8 });
      metadata = v as Record<string, string>;
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t !== 'object' || t === null || typeof t.dtype !== 'string' || !(t.dtype in WIDTH)) throw new DataError(`tensor '${name}': unknown or missing dtype ${JSON.stringify(t?.dtype)}`, { file, offset: 8 });
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new DataError(`tensor '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(t.shape)}`, { file, offset: 8 });
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[0] > off[1]) throw new DataError(`tensor '${name}': bad data_offsets ${JSON.stringify(off)}`, { file, offset: 8 });
    const dtype = t.dtype as SafeDtype;
    const want = (t.shape as number[]).reduce((a, b) => a * b, 1) * WIDTH[dtype];
    if (off[1] - off[0] !== want) throw new DataError(`tensor '${name}': shape ${JSON.stringify(t.shape)} of ${dtype} needs ${want} bytes, data_offsets give ${off[1] - off[0]}`, { file, offset: 8 + n + off[0] });
    if (off[1] > data.length) throw new DataError(`truncated safetensors file: tensor '${name}' ends at byte ${8 + n + off[1]}, the file has ${buf.length}`, { file, offset: buf.length });
    spans.push([off[0], off[1], name]);
    tensors.set(name, { dtype, shape: t.shape as number[], bytes: data.subarray(off[0], off[1]) });
  }
  spans.sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [b, e, name] of spans) {
    if (b !== at) throw new DataError(b < at ? `tensor '${name}' overlaps the tensor before it` : `a gap of ${b - at} bytes before tensor '${name}'`, { file, offset: 8 + n + Math.min(b, at) });
    at = e;
  }
  if (at !== data.length) throw new DataError(`${data.length - at} bytes after the last tensor: the file is corrupt or was appended to`, { file, offset: 8 + n + at });
  return { tensors, metadata };
}

/** A tensor's values as float32 (F32 only: weights are stored in f32). */
export function tensorF32(t: SafeTensor, name: string, file: string): Float32Array {
  if (t.dtype !== 'F32') throw new DataError(`tensor '${name}' is ${t.dtype}; Quiver models store weights as F32`, { file });
  // Copy: the view may be unaligned, and weights outlive the file buffer.
  const out = new Float32Array(t.bytes.length / 4);
  new Uint8Array(out.buffer).set(t.bytes);
  return out;
}

/** Encodes tensors (in the given order) and string metadata as a safetensors file. */
export function encodeSafetensors(tensors: readonly { name: string; shape: number[]; data: Float32Array }[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let at = 0;
  for (const t of tensors) {
    const want = t.shape.reduce((a, b) => a * b, 1);
    if (want !== t.data.length) throw new RangeError(`safetensors: tensor '${t.name}' has ${t.data.length} values, shape ${JSON.stringify(t.shape)} needs ${want}`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [at, at + t.data.byteLength] };
    at += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned (as the reference writer does).
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const h = Buffer.from(json);
  const out = new Uint8Array(8 + h.length + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  let w = 8 + h.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), w);
    w += t.data.byteLength;
  }
  return out;
}
