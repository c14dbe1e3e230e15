// Dead letters of the JetStream source in permissive mode: each bad message of a committed batch, with its reason, published to a subject or written to a file.
import { headers } from '@nats-io/transport-node';
import type { JetStreamClient } from '@nats-io/jetstream';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ResourceError, TransportError } from '../../../ops/errors.ts';
import { isOutage, retryOutage } from './nats-outage.ts';

/**
 * Where permissive mode puts a bad message. Either way it happens once the message's batch is
 * committed, before the message is acked, and again (to the same effect) if the query stopped
 * in between:
 * - `{ subject }`: published there; a JetStream stream MUST capture the subject. The payload is
 *   the message's data as the reader saw it (line breaks, which a JSON text can hold only as
 *   whitespace, become spaces); headers `Quiver-Reason`, `Quiver-Stream`, `Quiver-Subject`
 *   (the original subject), `Quiver-Sequence` (its stream sequence) and, for a bad value,
 *   `Quiver-Column`. `Nats-Msg-Id` is `quiver-dead-letter/<stream>/<durable>/<sequence>`, so a
 *   delivery repeated within the capturing stream's duplicate window (2 minutes by default) is
 *   stored once.
 * - `{ path }`: a directory; the bad messages of a batch go to one file
 *   `<stream>-<durable>-<first seq>-<last seq>.jsonl` of the batch's range, one JSON object per
 *   message: `{ stream, subject, sequence, column, reason, record }`, written whole (a repeat
 *   replaces it).
 */
export type DeadLetter = { subject: string } | { path: string };

/** One bad message. */
export interface DeadLetterRecord {
  stream: string;
  subject: string;
  sequence: number;
  /** The column whose value was bad, or null when the message as a whole was. */
  column: string | null;
  reason: string;
  record: string;
}

/** Where the lines of a staged batch file came from: line n (1-based) is message `seqs[n - 1]`. */
export interface StagedLines {
  seqs: number[];
  subjects: string[];
  /** Index into `subjects`, per line. */
  subjectOf: number[];
  /** Lines of empty (or blank) messages: staged as a line the reader finds bad, reported with EMPTY_MESSAGE. */
  empty: number[];
}

/** Reason given for an empty message, which holds no JSON object. */
export const EMPTY_MESSAGE = 'empty message: expected a JSON object';

/** Publishes awaited at once. */
const IN_FLIGHT = 1024;
const META = '.lines.json';

/** The staged batch file of (from, to]: `<dir>/<from + 1>-<to>.jsonl`. */
export function stagedFile(dir: string, from: number, to: number): string {
  return join(dir, `${from + 1}-${to}.jsonl`);
}

/** Notes where each line of a staged file came from, next to it: dead letters of a batch committed by a run that then stopped are delivered by the next. */
export async function writeStagedLines(file: string, lines: StagedLines): Promise<void> {
  await writeFile(file + META, JSON.stringify(lines));
}

export function lineOf(lines: StagedLines, line: number): { sequence: number; subject: string } | null {
  const i = line - 1;
  if (!(i >= 0 && i < lines.seqs.length)) return null;
  return { sequence: lines.seqs[i], subject: lines.subjects[lines.subjectOf[i]] };
}

interface QuarantineEntry { file: string; line: number; column: string | null; reason: string; record: string }

/**
 * Delivers the dead letters of every staged batch ending at or before `upTo` (their bad records
 * are what the json reader quarantined under `badDir` when the sink read the batch), then removes
 * those staged files and their quarantine files.
 */
export async function deliverDeadLetters(o: { stream: string; durable: string; deadLetter: DeadLetter }, stagedDir: string, badDir: string, upTo: number,
  js: JetStreamClient): Promise<number> {
  const staged = (await listOrEmpty(stagedDir)).map((name) => /^(\d+)-(\d+)\.jsonl$/.exec(name)).filter((m) => m !== null && Number(m[2]) <= upTo)
    .map((m) => ({ file: join(stagedDir, m![0]), first: Number(m![1]), last: Number(m![2]) })).sort((a, b) => a.first - b.first);
  if (staged.length === 0) return 0;
  const quarantine = await readQuarantine(badDir);
  let delivered = 0;
  for (const s of staged) {
    let lines: StagedLines;
    try {
      lines = JSON.parse(await readFile(s.file + META, 'utf8')) as StagedLines;
    } catch (e) {
      throw new ResourceError(`cannot read ${s.file + META}, which maps the staged batch's lines to stream sequences (${(e as Error).message}); was the checkpoint changed by hand?`, { cause: e });
    }
    const records: DeadLetterRecord[] = [];
    const empty = new Set(lines.empty);
    for (const q of quarantine.get(s.file)?.entries ?? []) {
      const at = lineOf(lines, q.line);
      if (at === null) continue;
      const blank = empty.has(q.line);
      records.push({ stream: o.stream, subject: at.subject, sequence: at.sequence, column: blank ? null : q.column, reason: blank ? EMPTY_MESSAGE : q.reason, record: blank ? '' : q.record });
    }
    records.sort((a, b) => a.sequence - b.sequence);
    if (records.length > 0) {
      if ('subject' in o.deadLetter) await publish(o, o.deadLetter.subject, records, js);
      else await writeRecords(o, o.deadLetter.path, s.first, s.last, records);
    }
    delivered += records.length;
  }
  for (const s of staged) {
    for (const q of quarantine.get(s.file)?.files ?? []) await rm(q, { force: true });
    await rm(s.file + META, { force: true });
    await rm(s.file, { force: true });
  }
  return delivered;
}

async function publish(o: { stream: string; durable: string }, subject: string, records: DeadLetterRecord[], js: JetStreamClient): Promise<void> {
  const enc = new TextEncoder();
  await retryOutage(`publishing dead letters to '${subject}'`, async () => {
    let pending: Promise<unknown>[] = [];
    const settle = async () => {
      try {
        await Promise.all(pending);
      } catch (e) {
        if (isOutage(e)) throw e;
        throw new TransportError(`publishing dead letters to '${subject}' failed (${(e as Error).message}); check the JetStream stream that captures the subject (its limits, its subjects)`, { cause: e });
      }
      pending = [];
    };
    for (const r of records) {
      const h = headers();
      h.set('Quiver-Reason', oneLineHeader(r.reason));
      h.set('Quiver-Stream', r.stream);
      h.set('Quiver-Subject', r.subject);
      h.set('Quiver-Sequence', String(r.sequence));
      if (r.column !== null) h.set('Quiver-Column', oneLineHeader(r.column));
      pending.push(js.publish(subject, enc.encode(r.record), { msgID: `quiver-dead-letter/${o.stream}/${o.durable}/${r.sequence}`, headers: h }));
      if (pending.length >= IN_FLIGHT) await settle();
    }
    await settle();
  });
}

async function writeRecords(o: { stream: string; durable: string }, dir: string, first: number, last: number, records: DeadLetterRecord[]): Promise<void> {
  const file = join(dir, `${o.stream}-${o.durable}-${first}-${last}.jsonl`);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, records.map((r) => JSON.stringify(r) + '\n').join(''));
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw new ResourceError(`cannot write dead letters to ${file}: ${(e as Error).message}; set deadLetter.path to a writable directory`, { cause: e });
  }
}

/** The json reader's quarantine files under `dir` (one per split read), grouped by the staged file they are about. */
async function readQuarantine(dir: string): Promise<Map<string, { files: string[]; entries: QuarantineEntry[] }>> {
  const out = new Map<string, { files: string[]; entries: QuarantineEntry[] }>();
  for (const name of await listOrEmpty(dir)) {
    if (name.startsWith('.') || !name.endsWith('.jsonl')) continue;
    const path = join(dir, name);
    for (const text of (await readFile(path, 'utf8')).split('\n')) {
      if (text === '') continue;
      const q = JSON.parse(text) as QuarantineEntry;
      let g = out.get(q.file);
      if (g === undefined) out.set(q.file, g = { files: [], entries: [] });
      if (!g.files.includes(path)) g.files.push(path);
      g.entries.push(q);
    }
  }
  return out;
}

async function listOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** Header values are one line. */
function oneLineHeader(s: string): string {
  const t = s.replace(/[\r\n]+/g, ' ');
  return t.length > 1024 ? `${t.slice(0, 1024)}...` : t;
}
