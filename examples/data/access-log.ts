// Deterministic generator of an nginx-style access log, Zipf-skewed over paths and user ids.
import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { mulberry32 } from '../../ops/compute/random.ts';

const WORDS = ['toy', 'story', 'star', 'wars', 'the', 'lord', 'of', 'rings', 'matrix', 'alien', 'return', 'king', 'night',
  'day', 'love', 'city', 'dark', 'knight', 'river', 'ghost', 'blue', 'red', 'last', 'first', 'world', 'space', 'time',
  'dream', 'house', 'road', 'war', 'man', 'woman', 'girl', 'boy', 'fire', 'ice', 'sea', 'sun', 'moon'];

/** Small seeded PRNG: the same seed gives the same log on every machine. */
export const rng = mulberry32;

/** Cumulative Zipf(s) weights over n ranks, for inverse-CDF sampling. */
function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) { sum += 1 / Math.pow(i + 1, s); cdf[i] = sum; }
  for (let i = 0; i < n; i++) cdf[i] /= sum;
  return cdf;
}

function sample(cdf: Float64Array, u: number): number {
  let lo = 0, hi = cdf.length - 1;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid] < u) lo = mid + 1; else hi = mid; }
  return lo;
}

export interface AccessLogOptions {
  lines: number;
  paths?: number;
  users?: number;
  seed?: number;
}

/** The distinct paths of the log, most popular first. */
export function makePaths(n: number, seed: number): string[] {
  const r = rng(seed ^ 0x9e3779b9);
  const out: string[] = [];
  const seen = new Set<string>();
  while (out.length < n) {
    const k = 1 + Math.floor(r() * 4);
    const title = Array.from({ length: k }, () => WORDS[Math.floor(r() * WORDS.length)]).join('+');
    const year = 1950 + Math.floor(r() * 70);
    const p = `/data/m/${title}+${year}/${Math.floor(r() * 100)}.mpg`;
    if (!seen.has(p)) { seen.add(p); out.push(p); }
  }
  return out;
}

/** Yields the log as ~4 MB text chunks. */
export function* accessLogChunks(o: AccessLogOptions): Generator<string> {
  const seed = o.seed ?? 42;
  const paths = makePaths(o.paths ?? 50_000, seed);
  const pathCdf = zipfCdf(paths.length, 1.1);
  const userCdf = zipfCdf(o.users ?? 1_000_000, 0.8);
  const r = rng(seed);
  let t = Date.UTC(2020, 5, 25, 13, 44, 14);
  let chunk: string[] = [];
  let size = 0;
  let ts = new Date(t).toISOString().slice(0, 19);
  for (let i = 0; i < o.lines; i++) {
    if (r() < 0.3) { t += 1000; ts = new Date(t).toISOString().slice(0, 19); }
    const user = 100_000 + sample(userCdf, r());
    const line = `${ts}, ${user}, GET ${paths[sample(pathCdf, r())]}\n`;
    chunk.push(line);
    size += line.length;
    if (size > 4_000_000) { yield chunk.join(''); chunk = []; size = 0; }
  }
  if (chunk.length) yield chunk.join('');
}

/** Writes the log to `path` (atomically) and resolves with its size in bytes. */
export async function writeAccessLog(path: string, o: AccessLogOptions): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const out = createWriteStream(tmp);
  let bytes = 0;
  for (const c of accessLogChunks(o)) {
    bytes += Buffer.byteLength(c);
    if (!out.write(c)) await new Promise<void>((res) => out.once('drain', () => res()));
  }
  await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
  await rename(tmp, path);
  return bytes;
}
