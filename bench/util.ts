// Shared benchmark helpers: timing with medians, peak RSS sampling, table printing.
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs `f` `runs` times and returns each wall time in seconds. */
export async function timeRuns(runs: number, f: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}

/** Samples this process's RSS (worker threads included) every 50 ms. */
export function rssSampler(): { peakMB(): number; stop(): void; reset(): void } {
  let peak = process.memoryUsage.rss();
  const t = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 50);
  t.unref();
  return {
    peakMB: () => Math.max(peak, process.memoryUsage.rss()) / 2 ** 20,
    stop: () => clearInterval(t),
    reset: () => { peak = process.memoryUsage.rss(); },
  };
}

export function printTable(rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]);
  const cells = rows.map((r) => cols.map((c) => (typeof r[c] === 'number' ? (r[c] as number).toFixed(2) : String(r[c]))));
  const w = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (xs: string[]) => xs.map((x, i) => x.padEnd(w[i])).join('  ');
  console.log(line(cols));
  console.log(line(w.map((n) => '-'.repeat(n))));
  for (const r of cells) console.log(line(r));
}

export function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}
