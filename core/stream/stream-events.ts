// The runtime events a streaming query reports (streamStart, streamProgress, streamEnd): how the event log, the web UI's streaming page and /metrics see it.
import type { StreamSourceSpec } from '../plan/stream-scan.ts';
import type { RuntimeEvent } from '../runtime/events.ts';
import type { StreamingQueryProgress } from './progress.ts';
import type { Trigger } from './trigger.ts';

/** e.g. 'processingTime 1000 ms', 'availableNow'. */
export function triggerText(t: Trigger): string {
  return t.kind === 'processingTime' ? `processingTime ${t.intervalMs} ms` : t.kind;
}

/** A source in brief, e.g. 'jetstream TAGS tags.new durable=speed' (never its credentials). */
export function sourceText(spec: StreamSourceSpec): string {
  const o = spec.options;
  switch (spec.format) {
    case 'rate': return `rate ${String(o.rowsPerSecond ?? 1)} rows/s`;
    case 'files': return `files ${String(o.path)}`;
    case 'jetstream': return `jetstream ${String(o.stream)}${o.subjects ? ` ${String(o.subjects)}` : ''} durable=${String(o.durable)}`;
  }
}

export function streamStartEvent(q: { id: string; runId: string; name: string | null }, sink: string, sources: string[], trigger: Trigger): RuntimeEvent {
  return { kind: 'streamStart', ts: Date.now(), id: q.id, runId: q.runId, name: q.name, sink, sources, trigger: triggerText(trigger) };
}

/** A batch's progress in brief: the rates, the trigger's duration, the watermark and the aggregate's state. */
export function streamProgressEvent(p: StreamingQueryProgress): RuntimeEvent {
  const state = p.stateOperators[0];
  return {
    kind: 'streamProgress', ts: Date.now(), id: p.id, runId: p.runId, batchId: p.batchId,
    numInputRows: p.numInputRows, inputRowsPerSecond: p.inputRowsPerSecond, processedRowsPerSecond: p.processedRowsPerSecond,
    durationMs: p.durationMs.triggerExecution, watermarkMs: p.eventTime.watermark === null ? null : Date.parse(p.eventTime.watermark),
    stateRows: state?.numRowsTotal ?? null, lateRowsDropped: state?.numLateRowsDropped ?? null, outputRows: p.sink.numOutputRows,
  };
}

export function streamEndEvent(q: { id: string; runId: string }, error: unknown): RuntimeEvent {
  return error === null
    ? { kind: 'streamEnd', ts: Date.now(), id: q.id, runId: q.runId, ok: true }
    : { kind: 'streamEnd', ts: Date.now(), id: q.id, runId: q.runId, ok: false, error: error instanceof Error ? error.message : String(error) };
}
