// Observability a session carries: the append-only event log (and, as it grows, the UI and metrics), attached when a Quiver starts.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PlanError } from '../../ops/errors.ts';
import type { Session } from '../api/session.ts';

export interface ObservabilityOptions {
  /** Directory the event log is appended to, one JSON line per event (default: none). */
  eventLog?: string;
}

export interface Observability {
  /** The event log file, when one is written. */
  readonly eventLogFile: string | null;
  close(): Promise<void>;
}

/** Starts what `o` asks for on `session`; the returned handle stops it (the session's close calls it). */
export async function attachObservability(session: Session, o: ObservabilityOptions): Promise<Observability> {
  let eventLogFile: string | null = null;
  let off = (): void => {};
  if (o.eventLog) {
    try {
      mkdirSync(o.eventLog, { recursive: true });
    } catch (e) {
      throw new PlanError(`eventLog: cannot create directory ${o.eventLog}: ${(e as Error).message}; pass a writable directory`);
    }
    const file = join(o.eventLog, `events-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.jsonl`);
    eventLogFile = file;
    // Appended synchronously: the log is the record of what happened, so a crash must not lose
    // what was already reported. Events are small and few (per task, not per row).
    const listener = (e: unknown) => appendFileSync(file, JSON.stringify(e) + '\n');
    session.listeners.add(listener);
    off = () => { session.listeners.delete(listener); };
  }
  return {
    eventLogFile,
    async close() { off(); },
  };
}
