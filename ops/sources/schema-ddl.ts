// The `schema` reader option: FieldJSON[] or a DDL string such as 'id int64 not null, name utf8'.
import { PlanError } from '../errors.ts';
import { typeToString, type FieldJSON, type PrimitiveTypeName, type TypeJSON } from '../types.ts';

/** Types a text format (csv, json) can be read as. */
export const TEXT_READABLE_TYPES: readonly PrimitiveTypeName[] = [
  'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
  'float32', 'float64', 'utf8', 'date32', 'timestamp_ms',
];

/** Spark / SQL spellings accepted in DDL strings, besides Quiver's own type names. */
const ALIASES: Readonly<Record<string, PrimitiveTypeName>> = {
  boolean: 'bool', tinyint: 'int8', byte: 'int8', smallint: 'int16', short: 'int16',
  int: 'int32', integer: 'int32', bigint: 'int64', long: 'int64',
  float: 'float32', real: 'float32', double: 'float64',
  string: 'utf8', varchar: 'utf8', text: 'utf8', date: 'date32', timestamp: 'timestamp_ms',
};

/**
 * Parses the `schema` option. A DDL string is a comma-separated list of `name type [not null]`;
 * names may be back-quoted (`my col` int32); types are Quiver names (int32, utf8, ...) or SQL
 * aliases (int, bigint, double, string, boolean, date, timestamp). Columns are nullable unless
 * marked `not null`. Only the types in TEXT_READABLE_TYPES are accepted, and with `nested` (json)
 * also `struct<a: int, b: string>`, `map<string, int>` and `array<int>` (or `list<int>`) of them.
 */
export function parseSchemaOption(v: unknown, nested = false): FieldJSON[] {
  const fields = typeof v === 'string' ? parseDdl(v) : Array.isArray(v) ? v.map(checkField) : null;
  if (!fields) throw new PlanError(`option 'schema' must be a DDL string like 'a int32, b utf8' or an array of {name, type, nullable}, got ${JSON.stringify(v)}`);
  if (fields.length === 0) throw new PlanError(`option 'schema' declares no columns`);
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.name)) throw new PlanError(`option 'schema' declares column '${f.name}' twice`);
    seen.add(f.name);
    if (typeof f.type !== 'string' && !nested) {
      throw new PlanError(`option 'schema': column '${f.name}' has type ${describe(f.type)}, which text formats cannot hold in csv: csv columns are one of ${TEXT_READABLE_TYPES.join(', ')}; read nested data with q.read.json (structs, maps, lists), Parquet or Arrow`);
    }
    checkReadable(f.name, f.type);
  }
  return fields;
}

/** Text-readable types, and lists, structs and maps of them (map keys plain values). */
function checkReadable(name: string, t: TypeJSON): void {
  const bad = (why: string) => new PlanError(`option 'schema': column '${name}' has type ${describe(t)}, ${why}`);
  if (typeof t === 'string') {
    if (!TEXT_READABLE_TYPES.includes(t)) throw bad(`which text formats cannot hold; use one of ${TEXT_READABLE_TYPES.join(', ')}`);
    return;
  }
  if (typeof t !== 'object' || t === null) throw bad('which is not a type');
  if ('struct' in t && Array.isArray(t.struct)) {
    if (t.struct.length === 0) throw bad('a struct without fields; give it at least one');
    const names = new Set<string>();
    for (const f of t.struct) {
      if (typeof f?.name !== 'string' || names.has(f.name)) throw bad(`a struct whose fields need distinct names, got ${JSON.stringify(f?.name)}`);
      names.add(f.name);
      checkReadable(`${name}.${f.name}`, f.type);
    }
    return;
  }
  if ('map' in t && t.map) {
    if (typeof t.map.key !== 'string' || t.map.key === 'float32' || t.map.key === 'float64') throw bad('whose keys must be a plain type (utf8, an integer, bool, date32 or timestamp_ms)');
    checkReadable(name, t.map.key);
    checkReadable(name, t.map.value);
    return;
  }
  if ('list' in t) { checkReadable(name, t.list); return; }
  throw bad('which text formats cannot hold; json reads lists, structs and maps (not fixed-size lists)');
}

const describe = (t: TypeJSON): string => { try { return typeToString(t); } catch { return JSON.stringify(t); } };

function checkField(f: unknown): FieldJSON {
  const o = f as Partial<FieldJSON> | null;
  if (!o || typeof o.name !== 'string' || o.type === undefined) {
    throw new PlanError(`option 'schema': each field needs a name and a type, got ${JSON.stringify(f)}`);
  }
  return { name: o.name, type: o.type as TypeJSON, nullable: o.nullable !== false };
}

function parseDdl(s: string): FieldJSON[] {
  const out: FieldJSON[] = [];
  for (const part of splitTopLevel(s)) {
    const m = /^\s*(`(?:[^`]|``)+`|[^\s`]+)\s+(.+?)\s*(not\s+null|null)?\s*$/is.exec(part);
    if (!m) throw new PlanError(`option 'schema': cannot read ${JSON.stringify(part.trim())}; write 'name type [not null]', e.g. 'a int32, b utf8'`);
    const name = unquote(m[1]);
    out.push({ name, type: parseType(m[2], name), nullable: !(m[3] && /^not/i.test(m[3])) });
  }
  return out;
}

const unquote = (n: string): string => (n.startsWith('`') ? n.slice(1, -1).replace(/``/g, '`') : n);

/** A DDL type: a name or alias, or struct<name: type, ...>, map<key, value>, array<type> / list<type>. */
function parseType(text: string, column: string): TypeJSON {
  const nested = /^\s*(struct|map|array|list)\s*<(.*)>\s*$/is.exec(text);
  if (nested) {
    const kind = nested[1].toLowerCase();
    const parts = splitTopLevel(nested[2]);
    if (kind === 'struct') {
      return {
        struct: parts.map((p) => {
          const f = /^\s*(`(?:[^`]|``)+`|[^\s`:]+)\s*:?\s*(.+?)\s*(not\s+null)?\s*$/is.exec(p);
          if (!f) throw new PlanError(`option 'schema': cannot read struct field ${JSON.stringify(p.trim())} of column '${column}'; write struct<name: type, ...>`);
          return { name: unquote(f[1]), type: parseType(f[2], column), nullable: !f[3] };
        }),
      };
    }
    if (kind === 'map') {
      if (parts.length !== 2) throw new PlanError(`option 'schema': map of column '${column}' needs a key and a value type, e.g. map<string, int>`);
      return { map: { key: parseType(parts[0], column), value: parseType(parts[1], column) } };
    }
    if (parts.length !== 1) throw new PlanError(`option 'schema': ${kind} of column '${column}' takes one element type, e.g. ${kind}<int>`);
    return { list: parseType(parts[0], column) };
  }
  const word = text.trim().toLowerCase();
  const type = (ALIASES[word] ?? word) as PrimitiveTypeName;
  if (!/^[a-z_][a-z0-9_]*$/.test(word) || !TEXT_READABLE_TYPES.includes(type)) {
    throw new PlanError(`option 'schema': unknown type '${text.trim()}' for column '${column}'; use one of ${TEXT_READABLE_TYPES.join(', ')} (or int, bigint, double, string, boolean, date, timestamp; struct<...>, map<k, v> and array<t> in json)`);
  }
  return type;
}

/** Splits on commas outside back-quotes and angle brackets. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let cur = '', inQuote = false, depth = 0;
  for (const ch of s) {
    if (ch === '`') inQuote = !inQuote;
    if (!inQuote && ch === '<') depth++;
    if (!inQuote && ch === '>') depth--;
    if (ch === ',' && !inQuote && depth === 0) { parts.push(cur); cur = ''; } else cur += ch;
  }
  if (cur.trim() !== '' || parts.length > 0) parts.push(cur);
  return parts;
}
