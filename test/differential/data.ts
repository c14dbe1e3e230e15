// Seeded random tables with nulls, shared by the DuckDB differential tests.
import { rng } from '../../examples/data/access-log.ts';

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'épsilon', 'zeta', 'eta', 'θeta', 'iota', 'kappa'];

export interface Tables {
  a: { k: number | null; g: string | null; x: number | null; y: number }[];
  b: { k: number | null; z: string | null; w: number | null }[];
}

export function makeTables(seed: number, na = 3000, nb = 400): Tables {
  const r = rng(seed);
  const maybe = <T>(v: T, p = 0.1): T | null => (r() < p ? null : v);
  const a = Array.from({ length: na }, (_, i) => ({
    k: maybe(Math.floor(r() * 300)),
    g: maybe(WORDS[Math.floor(r() * WORDS.length)]),
    x: maybe(Math.round(r() * 1e6) / 1e3 - 300),
    y: i,
  }));
  const b = Array.from({ length: nb }, () => ({
    k: maybe(Math.floor(r() * 400)),
    z: maybe(WORDS[Math.floor(r() * WORDS.length)] + String(Math.floor(r() * 5))),
    w: maybe(Math.floor(r() * 1000) - 500),
  }));
  return { a, b };
}

export function sqlValue(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
  return String(v);
}
