// A ZSTD column chunk rewritten with its pages uncompressed, so that the Parquet decoder skips its own zstd.
//
// parquet-wasm's zstd is slow: TPC-H SF 1 lineitem's l_extendedprice (25 MB of ZSTD pages, 48 MB
// of doubles) decodes in 240 ms, 9 ms when stored uncompressed; zstd's C library built for wasm
// (@bokuweb/zstd-wasm) inflates the same pages in 77 ms. A slice (parquet-slice.ts) asks for its
// ZSTD chunks to be inflated here, and the decoder is handed pages that need no decompression.
import { decompress, init } from '@bokuweb/zstd-wasm';
import { Reader, T, Writer, type Node } from './thrift-compact.ts';

// parquet.thrift: PageType and the PageHeader / DataPageHeaderV2 fields used here.
const PageType = { dataPage: 0, dictionaryPage: 2, dataPageV2: 3 } as const;
const PageHeader = { type: 1, uncompressedSize: 2, compressedSize: 3, crc: 4, dataPageHeaderV2: 8 } as const;
const DataPageHeaderV2 = { definitionLevelsByteLength: 5, repetitionLevelsByteLength: 6, isCompressed: 7 } as const;

let loading: Promise<void> | null = null;
let loaded = false;

/**
 * Loads the zstd module once per thread; until it is loaded (or when it cannot load),
 * inflateZstdChunk declines and chunks stay compressed for the decoder.
 */
export function loadZstd(): Promise<void> {
  loading ??= init().then(() => { loaded = true; }, () => {});
  return loading;
}

/** A chunk's pages, uncompressed, and where each page that began at an old offset begins now. */
export interface InflatedChunk {
  /** The rewritten chunk: page headers and pages, in order (concatenated once, with the slice). */
  readonly parts: readonly Uint8Array[];
  readonly length: number;
  /** The new offset (within the chunk) of the page that began at `old`; undefined when no page began there. */
  moved(old: number): number | undefined;
}

const num = (n: Node | undefined): number | undefined => (n && (n.t === T.I32 || n.t === T.I64 || n.t === T.I16) ? Number(n.v) : undefined);

/**
 * The content size a zstd frame declares in its header, null when it declares none, undefined
 * when `b` does not begin with a zstd frame. Checked before inflating, so that a corrupt size
 * never becomes an allocation.
 */
export function frameContentSize(b: Uint8Array): number | null | undefined {
  if (b.length < 6 || b[0] !== 0x28 || b[1] !== 0xb5 || b[2] !== 0x2f || b[3] !== 0xfd) return undefined;
  const fhd = b[4];
  const fcsFlag = fhd >> 6, single = (fhd >> 5) & 1, dictFlag = fhd & 3;
  const at = 5 + (single ? 0 : 1) + [0, 1, 2, 4][dictFlag];
  const size = fcsFlag === 0 ? single : [1, 2, 4, 8][fcsFlag];
  if (size === 0) return null;
  if (at + size > b.length) return undefined;
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + b[at + i];
  return size === 2 ? v + 256 : v;
}

/** `body` inflated to exactly `size` bytes, or null. */
function inflate(body: Uint8Array, size: number): Uint8Array | null {
  if (size === 0) return body.length === 0 ? body : null;
  const declared = frameContentSize(body);
  if (declared === undefined || (declared !== null && declared !== size)) return null;
  try {
    const out = decompress(body, { defaultHeapSize: size });
    return out.length === size ? out : null;
  } catch {
    return null;
  }
}

/**
 * The pages of a ZSTD column chunk (`chunk`: its bytes from its first page on) rewritten
 * uncompressed: each page header gets compressed size = uncompressed size and loses its CRC
 * (computed over the compressed bytes); a v2 data page keeps its levels and is marked
 * uncompressed. Null, leaving the chunk as it was, when zstd is not loaded or anything in the
 * chunk is not as expected (an unknown page type, a frame that does not inflate to its page's
 * size): the decoder then meets the chunk as written, and reports what is wrong with it.
 */
export function inflateZstdChunk(chunk: Uint8Array): InflatedChunk | null {
  if (!loaded) return null;
  const out: Uint8Array[] = [];
  const starts = new Map<number, number>();
  let pos = 0, size = 0;
  try {
    while (pos < chunk.length) {
      const r = new Reader(chunk.subarray(pos));
      const header = r.value(T.Struct, 0);
      if (header.t !== T.Struct) return null;
      const h = header.fields;
      const type = num(h.get(PageHeader.type));
      const uncompressed = num(h.get(PageHeader.uncompressedSize));
      const compressed = num(h.get(PageHeader.compressedSize));
      if (type === undefined || uncompressed === undefined || compressed === undefined || uncompressed < 0 || compressed < 0) return null;
      const bodyAt = pos + r.pos;
      if (bodyAt + compressed > chunk.length) return null;
      const body = chunk.subarray(bodyAt, bodyAt + compressed);
      let plain: Uint8Array | null;
      if (type === PageType.dataPage || type === PageType.dictionaryPage) {
        plain = inflate(body, uncompressed);
      } else if (type === PageType.dataPageV2) {
        const v2 = h.get(PageHeader.dataPageHeaderV2);
        if (v2?.t !== T.Struct) return null;
        const levels = (num(v2.fields.get(DataPageHeaderV2.definitionLevelsByteLength)) ?? 0) + (num(v2.fields.get(DataPageHeaderV2.repetitionLevelsByteLength)) ?? 0);
        if (levels < 0 || levels > compressed || levels > uncompressed) return null;
        const isCompressed = v2.fields.get(DataPageHeaderV2.isCompressed)?.t !== T.False;
        const values = isCompressed ? inflate(body.subarray(levels), uncompressed - levels) : body.subarray(levels);
        if (!values || levels + values.length !== uncompressed) return null;
        plain = new Uint8Array(uncompressed);
        plain.set(body.subarray(0, levels));
        plain.set(values, levels);
        v2.fields.set(DataPageHeaderV2.isCompressed, { t: T.False });
      } else {
        return null;
      }
      if (!plain) return null;
      h.set(PageHeader.compressedSize, { t: T.I32, v: BigInt(uncompressed) });
      h.delete(PageHeader.crc);
      const w = new Writer();
      w.value(header);
      const head = w.bytes();
      starts.set(pos, size);
      out.push(head, plain);
      size += head.length + plain.length;
      pos = bodyAt + compressed;
    }
  } catch {
    // A page header that is not well-formed Thrift: leave the chunk to the decoder.
    return null;
  }
  return { parts: out, length: size, moved: (old) => starts.get(old) };
}
