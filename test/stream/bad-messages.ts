// Shared by the bad-message tests: publishing good and malformed JSON messages to a JetStream stream, and reading a dead-letter stream back.
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'vitest';

/** The kinds of bad message, in the order they are published: the reason and column each gets. */
export const BAD: { data: string; reason: RegExp; column: string | null }[] = [
  { data: '{"id": 7, "k": ', reason: /^malformed JSON/, column: null },
  { data: '{"id": "seven", "k": "a"}', reason: /./, column: 'id' },
  { data: '[1, 2]', reason: /^expected a JSON object, found an array/, column: null },
  { data: '', reason: /^empty message/, column: null },
];

export const SCHEMA = 'id BIGINT, k STRING';

/**
 * Publishes `n` messages to `subject` (core publishes, then waits until the stream holds them),
 * every `every`th a bad one in BAD's order, the others `{ id, k }` with id their index; returns
 * the good ids and the bad sequences with their kind (an index into BAD).
 */
export async function publishMixed(nc: NatsConnection, jsm: JetStreamManager, subject: string, n: number, every: number): Promise<{ good: number[]; bad: Map<number, number>; lastSeq: number }> {
  const good: number[] = [];
  const bad = new Map<number, number>();
  const stream = await jsm.streams.find(subject);
  const first = (await jsm.streams.info(stream)).state.last_seq + 1;
  for (let i = 0; i < n; i++) {
    if (i % every === every - 1) {
      const kind = bad.size % BAD.length;
      bad.set(first + i, kind);
      nc.publish(subject, BAD[kind].data);
    } else {
      good.push(i);
      nc.publish(subject, JSON.stringify({ id: i, k: `k${i % 3}` }));
    }
    if (i % 10_000 === 9_999) await nc.flush();
  }
  await nc.flush();
  for (let t = 0; (await jsm.streams.info(stream)).state.last_seq < first + n - 1; t++) {
    if (t > 400) throw new Error(`the stream did not store every message published to ${subject}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return { good, bad, lastSeq: first + n - 1 };
}

export interface Letter { seq: number; subject: string; reason: string; column: string | null; data: string; msgId: string }

/** Every message of a dead-letter stream, read with an ordered consumer. */
export async function readDeadLetters(nc: NatsConnection, jsm: JetStreamManager, stream: string): Promise<Letter[]> {
  const total = (await jsm.streams.info(stream)).state.messages;
  const out: Letter[] = [];
  if (total === 0) return out;
  const c = await jetstream(nc).consumers.get(stream);
  while (out.length < total) {
    const iter = await c.fetch({ max_messages: Math.min(10_000, total - out.length), expires: 2000 });
    let n = 0;
    for await (const m of iter) {
      n++;
      const h = m.headers!;
      out.push({
        seq: Number(h.get('Quiver-Sequence')), subject: h.get('Quiver-Subject'), reason: h.get('Quiver-Reason'),
        column: h.has('Quiver-Column') ? h.get('Quiver-Column') : null, data: m.string(), msgId: h.get('Nats-Msg-Id'),
      });
    }
    if (n === 0) throw new Error(`read ${out.length} of the ${total} messages of ${stream}`);
  }
  return out;
}

/** The letters are exactly the bad messages, once each, each with its kind's reason and column. */
export function expectLetters(letters: readonly { seq: number; reason: string; column: string | null }[], bad: ReadonlyMap<number, number>): void {
  const seqs = letters.map((l) => l.seq).sort((a, b) => a - b);
  expect(seqs.length).toBe(bad.size);
  expect(seqs).toEqual([...bad.keys()]);
  for (const l of letters) {
    const kind = BAD[bad.get(l.seq)!];
    if (!kind.reason.test(l.reason) || l.column !== kind.column) expect({ seq: l.seq, reason: l.reason, column: l.column }).toEqual({ seq: l.seq, reason: String(kind.reason), column: kind.column });
  }
}
