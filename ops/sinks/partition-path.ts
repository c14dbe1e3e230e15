// Hive-style partition directories: `col=value` names, escaped as Spark and Hive escape them, and parsed back.

/** The directory value of a null (and of an empty string), as Spark and Hive write it. */
export const DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__';

/** Characters Spark's ExternalCatalogUtils.escapePathName percent-escapes (besides control characters). */
const SPECIAL = new Set(['"', '#', '%', "'", '*', '/', ':', '=', '?', '\\', '\x7f', '{', '[', ']', '^']);

/** One directory-name value: '%XX' (upper-case hex) for each special or control character. */
export function escapePartitionValue(v: string | null): string {
  if (v === null || v === '') return DEFAULT_PARTITION;
  let out = '';
  for (const ch of v) {
    const c = ch.codePointAt(0)!;
    out += c < 0x20 || SPECIAL.has(ch) ? `%${c.toString(16).toUpperCase().padStart(2, '0')}` : ch;
  }
  return out;
}

/** The value a directory name stands for: null for the default partition; '%XX' decoded (a malformed escape stays as written). */
export function unescapePartitionValue(s: string): string | null {
  if (s === DEFAULT_PARTITION) return null;
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** `col=value/col2=value2`, the relative directory of a row's partition. */
export function partitionDir(columns: readonly string[], values: readonly (string | null)[]): string {
  return columns.map((c, i) => `${escapePartitionValue(c)}=${escapePartitionValue(values[i])}`).join('/');
}

/** A directory name's `[column, value]` when it reads `col=value` (a non-empty column name), else null. */
export function parsePartitionSegment(name: string): [string, string | null] | null {
  const eq = name.indexOf('=');
  if (eq <= 0) return null;
  return [unescapePartitionValue(name.slice(0, eq)) ?? '', unescapePartitionValue(name.slice(eq + 1))];
}
