// Byte-range reading of line-oriented files: a reused read buffer, split-boundary rules, and
// line numbers counted lazily (only when an error must name one).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DataError } from '../errors.ts';

const NL = 10;
/** Extra bytes read past a split's end, so that the line crossing it usually needs no second read. */
const SLACK = 64 * 1024;
/** Room left in front of a read-ahead chunk for the partial record carried over from the last one. */
const AHEAD_OFFSET = 64 * 1024;

/**
 * Read buffers of closed readers, kept for this thread's next reader: a task reads split after
 * split, and every fresh buffer (8 MB by default, two with read-ahead) counts towards the
 * external memory at which V8 runs a full collection. Readers never hand out views of their
 * buffers (see fill()), so a closed reader's buffers are free. At most 32 MB are kept per thread.
 */
const POOLED = 4;
/** Most bytes kept for a thread (a buffer grown for a long record past this is dropped). */
const POOLED_BYTES = 32 * 1024 * 1024;
const pool: Buffer[] = [];
let pooledBytes = 0;

function takeBuffer(size: number): Buffer {
  const i = pool.findIndex((b) => b.length === size);
  if (i < 0) return Buffer.allocUnsafeSlow(size);
  pooledBytes -= size;
  return pool.splice(i, 1)[0];
}

/** Keeps `b` for the next reader; the oldest kept buffers go past POOLED buffers or POOLED_BYTES. */
function giveBack(b: Buffer | null | undefined): void {
  if (!b || b.length > POOLED_BYTES || pool.includes(b)) return;
  pool.push(b);
  pooledBytes += b.length;
  while (pool.length > POOLED || pooledBytes > POOLED_BYTES) pooledBytes -= pool.shift()!.length;
}

/**
 * A buffered window over bytes [start, end) of a file, following the Hadoop LineRecordReader
 * convention: a split owns every record that *starts* in [start, end). A split with start > 0
 * skips the partial line before its first line start; the record crossing `end` is read to its
 * end. Together the splits of a file read every line exactly once.
 *
 * Unconsumed bytes are buf[pos, len); buf[0] is at file offset `base`. Parsers advance `pos`
 * past complete records and call `fill()` when they need more bytes.
 */
export class RangeReader {
  buf: Buffer;
  pos = 0;
  len = 0;
  base: number;
  /** True when buf[len] would be past the end of the file. */
  eof = false;
  /** The next chunk, being read into `spare` at AHEAD_OFFSET while the caller parses this one. */
  private ahead: Promise<{ buf: Buffer; n: number; at: number }> | null = null;
  private spare: Buffer | null = null;
  private closed = false;

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    readonly fileSize: number,
    /** File offset where records stop being ours (the split's end). */
    readonly limit: number,
    bufferBytes: number,
    start: number,
  ) {
    this.base = start;
    this.buf = takeBuffer(bufferBytes);
  }

  /**
   * Opens `path` positioned at the first record the split [start, end) owns: the first line
   * start at or after `start`, or `firstRecord` when the caller knows where that record starts
   * (CSV, whose quoted fields may hold line breaks: see csvRecordStarts).
   */
  static async open(path: string, start: number, end: number, bufferBytes: number, firstRecord?: number): Promise<RangeReader> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new DataError(code === 'ENOENT' ? 'file not found (was it removed after planning?)' : `cannot open: ${(e as Error).message}`, { file: path }, { cause: e });
    }
    try {
      const size = (await fh.stat()).size;
      const limit = Math.min(end, size);
      // Small splits get a small buffer; it grows if a record is longer.
      const bytes = Math.min(bufferBytes, Math.max(4096, limit - start + SLACK));
      if (firstRecord !== undefined && start > 0) {
        const r = new RangeReader(fh, path, size, limit, bytes, Math.min(firstRecord, size));
        r.eof = r.base >= size;
        return r;
      }
      const r = new RangeReader(fh, path, size, limit, bytes, start > 0 ? start - 1 : 0);
      r.eof = r.base >= size;
      if (start > 0) await r.skipPartialLine();
      else await r.skipBom();
      return r;
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** File offset of buf[pos]: where the next record starts. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** True when the next record starts at or past the split's end (or the file's). */
  get done(): boolean {
    return this.base + this.pos >= this.limit || (this.eof && this.pos >= this.len);
  }

  /**
   * Makes more bytes available after buf[pos, len) and returns false at end of file. The
   * unconsumed bytes move to the front (or, with a read-ahead, in front of the bytes read
   * ahead); the buffer grows when it is full of one unfinished record. buf[0, pos) and any
   * earlier `buf` MUST NOT be used after this: they are reused for the next read-ahead.
   */
  async fill(): Promise<boolean> {
    if (this.eof) return false;
    const ahead = this.ahead;
    this.ahead = null;
    if (ahead) {
      const a = await ahead;
      const carry = this.len - this.pos;
      if (carry <= AHEAD_OFFSET) {
        // Common case: put the carried partial record in front of the bytes read ahead, swap buffers.
        this.buf.copy(a.buf, AHEAD_OFFSET - carry, this.pos, this.len);
        this.spare = this.buf;
        this.buf = a.buf;
        this.base = a.at - AHEAD_OFFSET;
        this.pos = AHEAD_OFFSET - carry;
        this.len = AHEAD_OFFSET + a.n;
      } else {
        this.compact(carry + a.n);
        a.buf.copy(this.buf, this.len, AHEAD_OFFSET, AHEAD_OFFSET + a.n);
        this.len += a.n;
        this.spare = a.buf;
      }
      this.eof = a.n === 0 || this.base + this.len >= this.fileSize;
      this.readAhead();
      return a.n > 0;
    }
    this.compact(this.len - this.pos + 1);
    // Past the split's end only the crossing record is needed: read modestly there, but at
    // least as much as is held already, so that a long record costs O(length) to assemble.
    const filePos = this.base + this.len;
    const want = Math.min(this.buf.length - this.len, Math.max(this.limit - filePos, 0) + Math.max(SLACK, this.len));
    const { bytesRead } = await this.fh.read(this.buf, this.len, want, filePos);
    this.len += bytesRead;
    this.eof = bytesRead === 0 || this.base + this.len >= this.fileSize;
    this.readAhead();
    return bytesRead > 0;
  }

  /** Moves buf[pos, len) to the front, growing the buffer to hold at least `need` bytes. */
  private compact(need: number): void {
    if (this.pos > 0) {
      this.buf.copy(this.buf, 0, this.pos, this.len);
      this.base += this.pos;
      this.len -= this.pos;
      this.pos = 0;
    }
    if (need > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < need) size *= 2;
      const bigger = takeBuffer(size);
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
      this.spare = null; // sizes now differ; a new spare is made to match
    }
  }

  /**
   * Starts reading the next chunk into the spare buffer while the caller parses this one
   * (I/O overlaps parsing). Only inside the split, and only for buffers big enough to pay off.
   */
  private readAhead(): void {
    const at = this.base + this.len;
    if (this.eof || at >= this.limit || this.buf.length < 4 * AHEAD_OFFSET) return;
    const spare = this.spare && this.spare.length === this.buf.length ? this.spare : takeBuffer(this.buf.length);
    this.spare = null;
    const p = this.fh.read(spare, AHEAD_OFFSET, spare.length - AHEAD_OFFSET, at).then((r) => ({ buf: spare, n: r.bytesRead, at }));
    p.catch(() => {}); // a failed read-ahead surfaces when fill() awaits it
    this.ahead = p;
  }

  private async skipPartialLine(): Promise<void> {
    // base = start - 1: if that byte is '\n', the split begins exactly at a line start.
    for (;;) {
      const nl = this.buf.indexOf(NL, this.pos);
      if (nl >= 0 && nl < this.len) { this.pos = nl + 1; return; }
      this.pos = this.len;
      if (!(await this.fill())) return;
    }
  }

  private async skipBom(): Promise<void> {
    while (this.len < 3 && (await this.fill()));
    if (this.len >= 3 && this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf) this.pos = 3;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const ahead = this.ahead ? await this.ahead.catch(() => null) : null;
    this.ahead = null;
    await this.fh.close();
    giveBack(this.buf);
    giveBack(this.spare);
    giveBack(ahead?.buf);
    this.spare = null;
  }
}

/**
 * 1-based line numbers of file offsets, counted on demand. Offsets MUST be asked for in
 * non-decreasing order (bad records arrive in file order), so that counting stays O(file).
 */
export class LineCounter {
  private offset: number;
  private line: number;

  /** `known`: a file offset whose line is known (a split's start and its firstLine), to count from. */
  constructor(private readonly path: string, private readonly known = { offset: 0, line: 1 }) {
    this.offset = known.offset;
    this.line = known.line;
  }

  async lineAt(fileOffset: number): Promise<number> {
    if (fileOffset < this.offset) {
      const k = fileOffset >= this.known.offset ? this.known : { offset: 0, line: 1 };
      this.offset = k.offset;
      this.line = k.line;
    }
    if (fileOffset === this.offset) return this.line;
    const fh = await open(this.path, 'r');
    try {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, fileOffset - this.offset));
      while (this.offset < fileOffset) {
        const want = Math.min(buf.length, fileOffset - this.offset);
        const { bytesRead } = await fh.read(buf, 0, want, this.offset);
        if (bytesRead === 0) break;
        for (let p = buf.indexOf(NL, 0); p >= 0 && p < bytesRead; p = buf.indexOf(NL, p + 1)) this.line++;
        this.offset += bytesRead;
      }
    } finally {
      await fh.close();
    }
    return this.line;
  }
}

/**
 * Synchronous reading from the start of a file, for schema inference on the driver (which
 * samples a bounded number of records). Same window fields as RangeReader. MUST be closed.
 */
export class HeadReader {
  buf: Buffer;
  pos = 0;
  len = 0;
  base = 0;
  eof = false;

  private constructor(private readonly fd: number, readonly path: string, readonly fileSize: number, bufferBytes: number) {
    this.buf = Buffer.allocUnsafe(Math.max(4096, Math.min(bufferBytes, fileSize + 1)));
  }

  static open(path: string, bufferBytes: number): HeadReader {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new DataError(code === 'ENOENT' ? 'file not found; check the path' : `cannot open: ${(e as Error).message}`, { file: path }, { cause: e });
    }
    const r = new HeadReader(fd, path, fstatSync(fd).size, bufferBytes);
    r.fill();
    if (r.len >= 3 && r.buf[0] === 0xef && r.buf[1] === 0xbb && r.buf[2] === 0xbf) r.pos = 3;
    return r;
  }

  get done(): boolean {
    return this.eof && this.pos >= this.len;
  }

  fill(): boolean {
    if (this.eof) return false;
    if (this.pos > 0) {
      this.buf.copy(this.buf, 0, this.pos, this.len);
      this.base += this.pos;
      this.len -= this.pos;
      this.pos = 0;
    }
    if (this.len === this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    const n = readSync(this.fd, this.buf, this.len, this.buf.length - this.len, this.base + this.len);
    this.len += n;
    this.eof = n === 0 || this.base + this.len >= this.fileSize;
    return n > 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}
