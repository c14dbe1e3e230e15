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
 * marked `not null`. Only the types in TEXT_READABLE_TYPES are accepted.
 */
export function parseSchemaOption(v: unknown): FieldJSON[] {
  const fields = typeof v === 'string' ? parseDdl(v) : Array.isArray(v) ? v.map(checkField) : null;
  if (!fields) throw new PlanError(`option 'schema' must be a DDL string like 'a int32, b utf8' or an array of {name, type, nullable}, got ${JSON.stringify(v)}`);
  if (fields.length === 0) throw new PlanError(`option 'schema' declares no columns`);
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.name)) throw new PlanError(`option 'schema' declares column '${f.name}' twice`);
    seen.add(f.name);
    if (typeof f.type !== 'string' || !TEXT_READABLE_TYPES.includes(f.type)) {
      throw new PlanError(`option 'schema': column '${f.name}' has type ${typeToString(f.type)}, which text formats cannot hold; use one of ${TEXT_READABLE_TYPES.join(', ')}`);
    }
  }
  return fields;
}

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
    const m = /^\s*(`(?:[^`]|``)+`|[^\s`]+)\s+([A-Za-z_][A-Za-z0-9_]*)\s*(not\s+null|null)?\s*$/i.exec(part);
    if (!m) throw new PlanError(`option 'schema': cannot read ${JSON.stringify(part.trim())}; write 'name type [not null]', e.g. 'a int32, b utf8'`);
    const name = m[1].startsWith('`') ? m[1].slice(1, -1).replace(/``/g, '`') : m[1];
    const word = m[2].toLowerCase();
    const type = (ALIASES[word] ?? word) as PrimitiveTypeName;
    if (!TEXT_READABLE_TYPES.includes(type)) {
      throw new PlanError(`option 'schema': unknown type '${m[2]}' for column '${name}'; use one of ${TEXT_READABLE_TYPES.join(', ')} (or int, bigint, double, string, boolean, date, timestamp)`);
    }
    out.push({ name, type, nullable: !(m[3] && /^not/i.test(m[3])) });
  }
  return out;
}

/** Splits on commas outside back-quotes. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let cur = '', inQuote = false;
  for (const ch of s) {
    if (ch === '`') inQuote = !inQuote;
    if (ch === ',' && !inQuote) { parts.push(cur); cur = ''; } else cur += ch;
  }
  if (cur.trim() !== '' || parts.length > 0) parts.push(cur);
  return parts;
}
