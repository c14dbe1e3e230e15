// KeyTable's shortcut for one or two utf8/binary key columns of single bytes (flags and status codes): a row's bytes are its group's index in a direct map.
import { KeyKind } from './hash.ts';
import type { KeyInput } from './key-store.ts';

/** Entries of a map over two one-byte keys: code = first byte | second byte << 8. */
export const BYTE_CODES = 1 << 16;

/** Whether a table keyed by these kinds may use a byte-code map: one or two bytes columns. */
export const byteCodesFit = (kinds: readonly KeyKind[]): boolean => kinds.length >= 1 && kinds.length <= 2 && kinds.every((k) => k === KeyKind.Bytes);

/**
 * Each row's code into `codes` when every key of rows [0, n) is exactly one byte long and not
 * null, else false (the batch then goes the table's own way).
 */
export function byteCodes(inputs: readonly KeyInput[], n: number, codes: Int32Array): boolean {
  if (inputs[0].bits !== null || (inputs.length > 1 && inputs[1].bits !== null)) return false;
  const ab = inputs[0].bytes, ao = inputs[0].offs;
  let p = ao[0];
  if (inputs.length === 1) {
    for (let i = 0; i < n; i++) {
      const q = ao[i + 1];
      if (q - p !== 1) return false;
      codes[i] = ab[p];
      p = q;
    }
    return true;
  }
  const bb = inputs[1].bytes, bo = inputs[1].offs;
  let r = bo[0];
  for (let i = 0; i < n; i++) {
    const q = ao[i + 1], s = bo[i + 1];
    if (q - p !== 1 || s - r !== 1) return false;
    codes[i] = ab[p] | (bb[r] << 8);
    p = q;
    r = s;
  }
  return true;
}

/**
 * The group id of each row from `map` (code -> group id + 1; 0: not known yet) into ids; false,
 * leaving ids partly written, at the first row whose code the map does not know.
 */
export function probeByteCodes(map: Int32Array, codes: Int32Array, n: number, ids: Int32Array): boolean {
  for (let i = 0; i < n; i++) {
    const g = map[codes[i]] - 1;
    if (g < 0) return false;
    ids[i] = g;
  }
  return true;
}

/** Records each row's group (found or added by the table's own probe) under its code; rows with no group (-1) are left out. */
export function learnByteCodes(map: Int32Array, codes: Int32Array, n: number, ids: Int32Array): void {
  for (let i = 0; i < n; i++) if (ids[i] >= 0) map[codes[i]] = ids[i] + 1;
}
