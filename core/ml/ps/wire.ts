// Binary frames for pushes and pulls (a checked JSON header, then raw bytes) and their chunked transfer over NATS, under the server's max_payload.
import type { NatsConnection } from '@nats-io/transport-node';
import type * as v from 'valibot';
import { TransportError } from '../../../ops/errors.ts';
import { chunkSize } from '../../cluster/chunks.ts';
import { checkMessage } from '../../cluster/protocol.ts';
import { DataReply, type PullHeader, type PushHeader } from './messages.ts';

/** Largest header a frame may carry. */
const MAX_HEADER = 16 * 1024;
/** Room kept in each message for the header (the payload is what is left, a multiple of 4 bytes). */
const HEADER_ROOM = 4096;

/**
 * A frame: a 4-byte big-endian header length, the header as UTF-8 JSON, zero padding to a
 * multiple of 4, then the payload (so float payloads are aligned relative to the frame).
 */
export function encodeFrame(header: object, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const at = (4 + h.length + 3) & ~3;
  const out = new Uint8Array(at + payload.length);
  new DataView(out.buffer).setUint32(0, h.length);
  out.set(h, 4);
  out.set(payload, at);
  return out;
}

/** Splits and checks a frame; never throws (a peer's malformed frame must not crash the receiver). */
export function decodeFrame<S extends v.GenericSchema>(schema: S, data: Uint8Array): { ok: true; header: v.InferOutput<S>; payload: Uint8Array } | { ok: false; reason: string } {
  if (data.length < 4) return { ok: false, reason: `a frame of ${data.length} bytes has no header length` };
  const n = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
  if (n > MAX_HEADER || 4 + n > data.length) return { ok: false, reason: `header length ${n} does not fit a frame of ${data.length} bytes (limit ${MAX_HEADER})` };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(4, 4 + n)));
  } catch (e) {
    return { ok: false, reason: `header is not UTF-8 JSON: ${(e as Error).message}` };
  }
  const c = checkMessage(schema, json);
  if (!c.ok) return c;
  return { ok: true, header: c.msg, payload: data.subarray(Math.min(data.length, (4 + n + 3) & ~3)) };
}

/** The payload as floats (copied when the message's bytes are not 4-byte aligned in memory). */
export function floatsOf(payload: Uint8Array): Float32Array {
  if (payload.length % 4 !== 0) throw new TransportError(`a float payload of ${payload.length} bytes is not a multiple of 4`);
  if (payload.byteOffset % 4 === 0) return new Float32Array(payload.buffer, payload.byteOffset, payload.length / 4);
  // A copy of its own: NATS hands out Node Buffers, whose slice() is a view of a shared pool.
  const copy = new Uint8Array(payload.length);
  copy.set(payload);
  return new Float32Array(copy.buffer);
}

/** Payload bytes per frame on this connection (a multiple of 4). */
export function frameRoom(nc: NatsConnection): number {
  return Math.max(1024, (chunkSize(nc) - HEADER_ROOM) & ~3);
}

async function request(nc: NatsConnection, subject: string, frame: Uint8Array, what: string, timeoutMs: number): Promise<{ header: Extract<DataReply, { ok: true }>; payload: Uint8Array }> {
  let reply;
  try {
    reply = await nc.request(subject, frame, { timeout: timeoutMs });
  } catch (e) {
    throw new TransportError(`${what} on ${subject}: ${(e as Error).message}`, { cause: e });
  }
  const d = decodeFrame(DataReply, reply.data);
  if (!d.ok) throw new TransportError(`${what} on ${subject}: the reply is malformed (${d.reason})`);
  if (!d.header.ok) throw new TransportError(`${what} on ${subject} was refused: ${d.header.error} (${d.header.code})`);
  return { header: d.header, payload: d.payload };
}

export interface TransferOptions {
  /** Chunks outstanding at once (default 4). */
  maxInFlight?: number;
  timeoutMs?: number;
}

/** Runs `n` numbered jobs with at most `k` at once. */
async function bounded(n: number, k: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => { while (next < n) await job(next++); };
  await Promise.all(Array.from({ length: Math.min(k, n) }, lane));
}

/** Pushes a gradient over the shard's whole range in chunks; resolves when the shard acknowledged every chunk. */
export async function pushVector(nc: NatsConnection, subject: string, base: Omit<PushHeader, 'chunk' | 'chunks' | 'offset' | 'count'>, grad: Float32Array, o: TransferOptions = {}): Promise<void> {
  const per = frameRoom(nc) / 4;
  const chunks = Math.max(1, Math.ceil(grad.length / per));
  const bytes = new Uint8Array(grad.buffer, grad.byteOffset, grad.byteLength);
  await bounded(chunks, o.maxInFlight ?? 4, async (i) => {
    const offset = i * per, count = Math.min(per, grad.length - offset);
    const header: PushHeader = { ...base, chunk: i, chunks, offset, count };
    await request(nc, subject, encodeFrame(header, bytes.subarray(offset * 4, (offset + count) * 4)), `pushing clock ${base.clock} to shard ${base.shard}`, o.timeoutMs ?? 10_000);
  });
}

export interface Pulled {
  bytes: Uint8Array;
  version: number;
  clocks: Record<string, number>;
}

/** Pulls a shard's parameters (or, what: 'state', its checkpoint bytes): chunk 0 takes a snapshot and says how many chunks it has. */
export async function pullVector(nc: NatsConnection, subject: string, base: Omit<PullHeader, 'snap' | 'chunk'>, o: TransferOptions = {}): Promise<Pulled> {
  const what = `pulling ${base.what} of shard ${base.shard}`;
  const timeout = o.timeoutMs ?? 10_000;
  const first = await request(nc, subject, encodeFrame({ ...base, snap: null, chunk: 0 } satisfies PullHeader), what, timeout);
  const chunks = first.header.chunks ?? 1, snap = first.header.snap ?? null;
  const parts: Uint8Array[] = new Array(chunks);
  parts[0] = first.payload;
  await bounded(chunks - 1, o.maxInFlight ?? 4, async (i) => {
    parts[i + 1] = (await request(nc, subject, encodeFrame({ ...base, snap, chunk: i + 1 } satisfies PullHeader), what, timeout)).payload;
  });
  const total = parts.reduce((s, p) => s + p.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { bytes.set(p, at); at += p.length; }
  return { bytes, version: first.header.version ?? 0, clocks: first.header.clocks ?? {} };
}
