// Parser for golden case files: a query (a DataFrame expression), then its expected rows, plan text or error.
//
//   query <name> [unordered]      rows: one JSON object per line after ----
//   error <name>                  an error class and message substring: `PlanError: unknown column`
//   explain <name>                lines that must appear (in order) in explain()
//
// The expression sees `t` (the datasets as DataFrames), col, lit, fn, when, and UDFS (the absolute
// path of test/fixtures/udf/scalar-udfs.ts, for fn.udf / fn.udaf).
export interface GoldenCase {
  file: string;
  line: number;
  kind: 'query' | 'error' | 'explain';
  name: string;
  unordered: boolean;
  code: string;
  expected: string[];
}

export function parseGolden(file: string, text: string): GoldenCase[] {
  const out: GoldenCase[] = [];
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length) {
    const l = lines[i].trim();
    if (l === '' || l.startsWith('#')) { i++; continue; }
    const m = /^(query|error|explain)\s+(\S+)(.*)$/.exec(l);
    if (!m) throw new Error(`${file}:${i + 1}: expected 'query NAME', 'error NAME' or 'explain NAME', found: ${l}`);
    const start = i + 1;
    const code: string[] = [];
    i++;
    while (i < lines.length && lines[i].trim() !== '----') code.push(lines[i++]);
    if (i >= lines.length) throw new Error(`${file}:${start}: case '${m[2]}' has no ---- separator`);
    i++;
    const expected: string[] = [];
    while (i < lines.length && lines[i].trim() !== '') expected.push(lines[i++].trim());
    out.push({ file, line: start, kind: m[1] as GoldenCase['kind'], name: m[2], unordered: m[3].includes('unordered'), code: code.join('\n'), expected });
  }
  return out;
}
