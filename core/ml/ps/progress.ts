// Training progress as console lines: epoch, rows, loss, accuracy, steps/s, samples/s and the staleness histogram.
import type { TrainProgress } from './options.ts';

/** Buckets above this staleness are summed into one ('8+'), so eventual consistency's long tail stays one line. */
const MAX_BUCKET = 8;

/** "0:812 1:120 2:8" (staleness: steps started with it). */
export function stalenessText(h: Record<number, number>): string {
  const out = new Map<string, number>();
  for (const [k, n] of Object.entries(h).map(([k, n]) => [Number(k), n] as const).sort((a, b) => a[0] - b[0])) {
    const key = k > MAX_BUCKET ? `${MAX_BUCKET + 1}+` : String(k);
    out.set(key, (out.get(key) ?? 0) + n);
  }
  return [...out.entries()].map(([k, n]) => `${k}:${n}`).join(' ') || '-';
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const si = (x: number) => (x >= 10_000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(x >= 100 ? 0 : 1));

export function progressLine(p: TrainProgress): string {
  return [
    `train epoch ${p.epoch}/${p.epochs}${p.epochEnd ? ' done' : ''}`,
    `rows ${si(p.rows)}/${si(p.totalRows)}`,
    `loss ${p.loss.toFixed(4)}`,
    `acc ${pct(p.accuracy)}`,
    ...(p.testAccuracy === undefined ? [] : [`test acc ${pct(p.testAccuracy)}`]),
    `${p.stepsPerSecond.toFixed(1)} steps/s`,
    `${si(p.samplesPerSecond)} samples/s`,
    `staleness ${stalenessText(p.staleness)}`,
  ].join('  ');
}
