// Streaming queries as their events describe them (streamStart, streamProgress, streamEnd): what the streaming page and /metrics show.
import type { RuntimeEvent } from '../runtime/events.ts';

export type StreamStatus = 'active' | 'stopped' | 'failed';

/** One micro-batch's progress, as a streamProgress event reported it (epoch ms `ts`: when it was reported). */
export type StreamBatch = Omit<Extract<RuntimeEvent, { kind: 'streamProgress' }>, 'kind' | 'id' | 'runId'>;

/** One run of a streaming query (a restart from its checkpoint is another run with the same id). */
export interface StreamState {
  id: string;
  runId: string;
  name: string | null;
  sink: string;
  sources: string[];
  trigger: string;
  status: StreamStatus;
  start: number;
  end: number | null;
  error: string | null;
  /** Batches committed by this run, and their input and output rows summed (unknown counts left out). */
  batches: number;
  inputRows: number;
  outputRows: number;
  /** Rows the streaming aggregate dropped as late (event time before the watermark), summed over this run's batches. */
  lateRows: number;
  /** The last batch's progress, or null before the first. */
  last: StreamBatch | null;
  /** The last RECENT_BATCHES batches, oldest first: the page's rate history. */
  recent: StreamBatch[];
}

/** Batches kept per run for the rate history. */
export const RECENT_BATCHES = 60;

type StreamEvent = Extract<RuntimeEvent, { kind: 'streamStart' | 'streamProgress' | 'streamEnd' }>;

function findRun(streams: StreamState[], runId: string): StreamState | undefined {
  for (let i = streams.length - 1; i >= 0; i--) if (streams[i].runId === runId) return streams[i];
  return undefined;
}

/** Folds a stream event into `streams` (in place). Progress or an end for a run never started (a log cut mid-run) is skipped. */
export function applyStreamEvent(streams: StreamState[], e: StreamEvent): void {
  switch (e.kind) {
    case 'streamStart': {
      streams.push({
        id: e.id, runId: e.runId, name: e.name, sink: e.sink, sources: [...e.sources], trigger: e.trigger,
        status: 'active', start: e.ts, end: null, error: null, batches: 0, inputRows: 0, outputRows: 0, lateRows: 0, last: null, recent: [],
      });
      return;
    }
    case 'streamProgress': {
      const s = findRun(streams, e.runId);
      if (!s) return;
      const { kind, id, runId, ...batch } = e;
      void kind; void id; void runId;
      s.batches++;
      s.inputRows += batch.numInputRows ?? 0;
      s.outputRows += batch.outputRows ?? 0;
      s.lateRows += batch.lateRowsDropped ?? 0;
      s.last = batch;
      s.recent.push(batch);
      if (s.recent.length > RECENT_BATCHES) s.recent.shift();
      return;
    }
    case 'streamEnd': {
      const s = findRun(streams, e.runId);
      if (!s) return;
      s.status = e.ok ? 'stopped' : 'failed';
      s.end = e.ts;
      s.error = e.error ?? null;
      return;
    }
  }
}
