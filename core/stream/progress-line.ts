// progressLine: one console line per micro-batch (batch id, rows, rows/s, watermark, state rows), logged when the session is not quiet.
import type { StreamingQueryProgress } from './progress.ts';

const rate = (x: number | null): string => (x === null ? '?' : String(Math.round(x)));

/** e.g. `quiver: stream counts batch 7: 5000 rows (12500 rows/s) in 400 ms, watermark 2024-01-01T00:00:10.000Z, state 12 rows, 1 late row dropped`. */
export function progressLine(p: StreamingQueryProgress): string {
  const state = p.stateOperators[0];
  return [
    `quiver: stream ${p.name ?? p.id.slice(0, 8)} batch ${p.batchId}: ${p.numInputRows ?? '?'} rows (${rate(p.processedRowsPerSecond)} rows/s) in ${p.durationMs.triggerExecution} ms`,
    ...(p.eventTime.watermark !== null ? [`watermark ${p.eventTime.watermark}`] : []),
    ...(state ? [`state ${state.numRowsTotal} rows`, ...(state.numLateRowsDropped > 0 ? [`${state.numLateRowsDropped} late row${state.numLateRowsDropped === 1 ? '' : 's'} dropped`] : [])] : []),
  ].join(', ');
}
