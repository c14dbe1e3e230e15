// CSV tokenizer over bytes (RFC 4180): fields as byte ranges, quotes escaped by doubling, quoted line breaks.

const LF = 10;
const CR = 13;

/** The tokenizer needs more bytes to finish the record (returned by `next`). */
export const NEED_MORE = -1;

export enum FieldFlag {
  None = 0,
  Quoted = 1,
  /** Quoted and holding doubled quotes that must be collapsed. */
  Escaped = 2,
}

/**
 * Splits one record into fields. `next` fills `starts`/`ends`/`flags` (byte ranges without the
 * surrounding quotes) and returns the position after the record's line break. A malformed
 * record still returns its end (so the caller can skip it) and sets `error`.
 */
export class CsvTokenizer {
  count = 0;
  starts = new Int32Array(64);
  ends = new Int32Array(64);
  flags = new Uint8Array(64);
  /** Why the last record is malformed, or null. */
  error: string | null = null;

  constructor(private readonly delim: number, private readonly quote: number) {}

  private push(a: number, b: number, flag: FieldFlag): void {
    if (this.count === this.starts.length) {
      const n = this.count * 2;
      const s = new Int32Array(n); s.set(this.starts); this.starts = s;
      const e = new Int32Array(n); e.set(this.ends); this.ends = e;
      const f = new Uint8Array(n); f.set(this.flags); this.flags = f;
    }
    this.starts[this.count] = a;
    this.ends[this.count] = b;
    this.flags[this.count] = flag;
    this.count++;
  }

  /**
   * Tokenizes the record starting at buf[p]; `len` is where valid bytes end and `eof` says no
   * bytes follow them. Returns the record's end, or NEED_MORE if it continues past `len`.
   */
  next(buf: Uint8Array, p: number, len: number, eof: boolean): number {
    const delim = this.delim, quote = this.quote;
    this.count = 0;
    this.error = null;
    let i = p;
    for (;;) {
      if (i < len && buf[i] === quote) {
        let j = i + 1;
        let flag = FieldFlag.Quoted;
        let q: number;
        for (;;) {
          q = buf.indexOf(quote, j);
          if (q < 0 || q >= len) {
            if (!eof) return NEED_MORE;
            this.error = 'unterminated quoted field (a quote opened and never closed)';
            this.push(i + 1, len, flag);
            return len;
          }
          if (q + 1 >= len && !eof) return NEED_MORE; // cannot tell "" from a closing quote yet
          if (q + 1 < len && buf[q + 1] === quote) { flag = FieldFlag.Escaped; j = q + 2; continue; }
          break;
        }
        this.push(i + 1, q, flag);
        const k = q + 1;
        if (k >= len) return len; // eof right after the closing quote
        const c = buf[k];
        if (c === delim) { i = k + 1; continue; }
        if (c === LF) return k + 1;
        if (c === CR) {
          if (k + 1 >= len) { if (!eof) return NEED_MORE; return len; }
          if (buf[k + 1] === LF) return k + 2;
        }
        // Text after a closing quote: the record is malformed; it ends at the next line break.
        this.error = `unexpected character ${JSON.stringify(String.fromCharCode(c))} after a closing quote; a quote inside a quoted field must be doubled ("")`;
        const e = buf.indexOf(LF, k);
        if (e < 0 || e >= len) return eof ? len : NEED_MORE;
        return e + 1;
      }
      let k = i;
      while (k < len) {
        const c = buf[k];
        if (c === delim || c === LF) break;
        k++;
      }
      if (k >= len) {
        if (!eof) return NEED_MORE;
        this.push(i, k > i && buf[k - 1] === CR ? k - 1 : k, FieldFlag.None);
        return len;
      }
      if (buf[k] === delim) { this.push(i, k, FieldFlag.None); i = k + 1; continue; }
      this.push(i, k > i && buf[k - 1] === CR ? k - 1 : k, FieldFlag.None);
      return k + 1;
    }
  }

  /** True when the last record was an empty line (skipped, as Spark does). */
  isBlankLine(): boolean {
    return this.count === 1 && this.flags[0] === FieldFlag.None && this.starts[0] === this.ends[0];
  }

  /** Field f of the last record as a string (quotes removed, doubled quotes collapsed). */
  text(buf: Uint8Array, f: number): string {
    const s = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8', this.starts[f], this.ends[f]);
    if (this.flags[f] !== FieldFlag.Escaped) return s;
    const q = String.fromCharCode(this.quote);
    return s.split(q + q).join(q);
  }
}

/** Where CsvRecordScanner is between two bytes of a record. */
export enum ScanState {
  /** At the start of a record or of a field: a quote here opens a quoted field. */
  FieldStart,
  /** Inside an unquoted field: quotes are plain text. */
  Unquoted,
  Quoted,
  /** Just after a quote inside a quoted field: it closes the field unless another quote follows. */
  AfterQuote,
  /** A CR after a closing quote: the record ends if LF follows, else it is malformed. */
  AfterQuoteCr,
  /** Text after a closing quote: the record is malformed and ends at the next line break. */
  Malformed,
}

/**
 * Finds where records end, exactly as CsvTokenizer.next ends them, without building fields and
 * over bytes handed in pieces (the state between pieces is `state`). Used to find the first
 * record of a split by reading the file before it, and to skip a record too long to hold.
 * Quote-free stretches are crossed with indexOf (memchr), so a file without quotes costs a scan.
 */
export class CsvRecordScanner {
  state = ScanState.FieldStart;

  constructor(private readonly delim: number, private readonly quote: number) {}

  /**
   * Reads buf[p, len) and returns the position just past the first record end at or after `min`
   * (the state is then FieldStart), or NEED_MORE once every byte up to `len` is consumed.
   */
  scan(buf: Uint8Array, p: number, len: number, min: number): number {
    const delim = this.delim, quote = this.quote;
    let s = this.state;
    let i = p;
    // The next quote and line break at or after i (-1: none before len), searched lazily:
    // positions only grow, so each byte is searched at most once per kind.
    let nq = -2, nl = -2;
    const nextQuote = (from: number): number => {
      if (nq === -1 || nq >= from) return nq;
      const k = buf.indexOf(quote, from);
      return (nq = k < 0 || k >= len ? -1 : k);
    };
    const nextLf = (from: number): number => {
      if (nl === -1 || nl >= from) return nl;
      const k = buf.indexOf(LF, from);
      return (nl = k < 0 || k >= len ? -1 : k);
    };
    for (;;) {
      switch (s) {
        case ScanState.Quoted: {
          const q = nextQuote(i);
          if (q < 0) { this.state = s; return NEED_MORE; }
          s = ScanState.AfterQuote;
          i = q + 1;
          break;
        }
        case ScanState.AfterQuote: case ScanState.AfterQuoteCr: {
          if (i >= len) { this.state = s; return NEED_MORE; }
          const c = buf[i++];
          if (c === LF) {
            s = ScanState.FieldStart;
            if (i >= min) { this.state = s; return i; }
          } else if (s === ScanState.AfterQuoteCr) s = ScanState.Malformed;
          else if (c === quote) s = ScanState.Quoted; // a doubled quote
          else if (c === delim) s = ScanState.FieldStart;
          else if (c === CR) s = ScanState.AfterQuoteCr;
          else s = ScanState.Malformed;
          break;
        }
        case ScanState.Malformed: {
          const l = nextLf(i);
          if (l < 0) { this.state = s; return NEED_MORE; }
          i = l + 1;
          s = ScanState.FieldStart;
          if (i >= min) { this.state = s; return i; }
          break;
        }
        case ScanState.FieldStart: case ScanState.Unquoted: {
          // Up to the next quote every line break ends a record.
          const q = nextQuote(i);
          const end = q < 0 ? len : q;
          const l = nextLf(i);
          if (l >= 0 && l < end) {
            // (Searching from min - 1 only below `end` keeps the searches' starts growing.)
            const b = l + 1 >= min ? l : min - 1 < end ? nextLf(min - 1) : -1;
            if (b >= 0 && b < end) { this.state = ScanState.FieldStart; return b + 1; }
            i = buf.lastIndexOf(LF, end - 1) + 1; // found at or after l: costs at most end - i
            s = ScanState.FieldStart;
          }
          if (q < 0) {
            if (len > i) s = buf[len - 1] === delim ? ScanState.FieldStart : ScanState.Unquoted;
            this.state = s;
            return NEED_MORE;
          }
          // A quote opens a field only at the field's start; elsewhere it is text.
          const opens = q === i ? s === ScanState.FieldStart : buf[q - 1] === delim;
          s = opens ? ScanState.Quoted : ScanState.Unquoted;
          i = q + 1;
          break;
        }
      }
    }
  }
}
