// The event log on disk: one JSON line per runtime event, one file per session, appended as events happen and read back for replay.
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, PlanError } from '../../ops/errors.ts';
import type { RuntimeEvent } from '../runtime/events.ts';

/** Creates `dir` and names this session's log file in it (a timestamp and the process id). */
export function createEventLogFile(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new PlanError(`eventLog: cannot create directory ${dir}: ${(e as Error).message}; pass a writable directory`);
  }
  return join(dir, `events-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.jsonl`);
}

/**
 * Appends one event. Synchronously: the log is the record of what happened, so a crash must not
 * lose what was already reported. Events are small and few (per task, not per row).
 */
export function appendEvent(file: string, e: RuntimeEvent): void {
  appendFileSync(file, JSON.stringify(e) + '\n');
}

/** The event log files under `path` (a directory: its *.jsonl files, oldest name first), or `path` itself. */
export function eventLogFiles(path: string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new PlanError(`event log ${path} does not exist; pass the directory given as eventLog (or one of its .jsonl files)`);
  }
  if (!st.isDirectory()) return [path];
  return readdirSync(path).filter((f) => f.endsWith('.jsonl')).sort().map((f) => join(path, f));
}

/**
 * The events of one log file, in order. A last line without its newline (a process killed while
 * writing) is skipped; any other line that is not an event is a DataError naming file and line.
 */
export function readEventLog(file: string): RuntimeEvent[] {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  const out: RuntimeEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const last = i === lines.length - 1;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch (err) {
      if (last && !complete) break;
      throw new DataError(`not JSON (${(err as Error).message}); pass a directory of Quiver event logs (the eventLog option)`, { file, line: i + 1 });
    }
    if (!e || typeof e !== 'object' || typeof (e as RuntimeEvent).kind !== 'string' || typeof (e as RuntimeEvent).ts !== 'number') {
      throw new DataError('not an event (an object with kind and ts); pass a directory of Quiver event logs (the eventLog option)', { file, line: i + 1 });
    }
    out.push(e as RuntimeEvent);
  }
  return out;
}
