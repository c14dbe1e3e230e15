// What the driver derives from Parquet footers (row groups, schema, statistics), kept per file and reused while the footer's bytes are the same: every query over a table would parse them again.
//
// The footer itself is read every time (one small pread); only the parsing is skipped, and only
// when the bytes are identical, so a file rewritten in place is never answered from its old
// footer, whatever its timestamps say.

/** One file's footer and what was derived from it, by name. */
export interface CachedFooter<T> {
  readonly footer: Buffer;
  readonly size: number;
  readonly derived: Map<string, T>;
}

/** Files kept: a session plans over a few tables; their footers are kilobytes to a few megabytes. */
const MAX_FILES = 64;

const cache = new Map<string, CachedFooter<unknown>>();

/** The footer of `path` as `read` returns it, with the derivations made from the same bytes before. */
export function cachedFooter<T>(path: string, read: (path: string) => { footer: Buffer; size: number }): CachedFooter<T> {
  const { footer, size } = read(path);
  const hit = cache.get(path);
  cache.delete(path);
  const entry: CachedFooter<unknown> = hit && hit.size === size && hit.footer.equals(footer) ? hit : { footer, size, derived: new Map() };
  // Most recently used last.
  cache.set(path, entry);
  while (cache.size > MAX_FILES) cache.delete(cache.keys().next().value!);
  return entry as CachedFooter<T>;
}

/** `key` of the entry, computed by `make` once. */
export function derive<T, V extends T>(entry: CachedFooter<T>, key: string, make: () => V): V {
  if (entry.derived.has(key)) return entry.derived.get(key) as V;
  const v = make();
  entry.derived.set(key, v);
  return v;
}
