// Moving blocks between processes through NATS: Arrow IPC bytes served in chunks under the server's max_payload, fetched with a bound on chunks in flight.
import { RequestError, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { TransportError } from '../../ops/errors.ts';

export { blockToIpc, ipcToBlock } from '../runtime/ipc.ts';

/** Room kept in a message for NATS framing and our 4-byte chunk header. */
const OVERHEAD = 1024;
const ERROR = 0xffffffff;

/** Bytes per chunk for a connection: under the server's max_payload. */
export function chunkSize(nc: NatsConnection): number {
  const max = nc.info?.max_payload ?? 1024 * 1024;
  return Math.max(1024, max - OVERHEAD);
}

/**
 * Serves byte arrays by id on `subject`: a request is JSON { id, chunk }; the reply is a 4-byte
 * big-endian chunk count followed by that chunk's bytes, or 0xFFFFFFFF and an error message.
 */
export function serveBlobs(nc: NatsConnection, subject: string, lookup: (id: string) => Uint8Array | undefined): Subscription {
  const size = chunkSize(nc);
  return nc.subscribe(subject, {
    callback: (err, m) => {
      if (err) return;
      let id: string, chunk: number;
      try {
        const req = m.json<{ id: unknown; chunk: unknown }>();
        if (typeof req.id !== 'string' || !Number.isInteger(req.chunk) || (req.chunk as number) < 0) throw new Error('expected { id: string, chunk: integer >= 0 }');
        id = req.id; chunk = req.chunk as number;
      } catch (e) {
        m.respond(errorReply(`bad fetch request: ${(e as Error).message}`));
        return;
      }
      const blob = lookup(id);
      if (!blob) { m.respond(errorReply(`no block '${id}' here (lost, or never written)`)); return; }
      const chunks = Math.max(1, Math.ceil(blob.length / size));
      if (chunk >= chunks) { m.respond(errorReply(`block '${id}' has ${chunks} chunks, asked for chunk ${chunk}`)); return; }
      const part = blob.subarray(chunk * size, Math.min(blob.length, (chunk + 1) * size));
      const out = new Uint8Array(4 + part.length);
      new DataView(out.buffer).setUint32(0, chunks);
      out.set(part, 4);
      m.respond(out);
    },
  });
}

function errorReply(message: string): Uint8Array {
  const text = new TextEncoder().encode(message);
  const out = new Uint8Array(4 + text.length);
  new DataView(out.buffer).setUint32(0, ERROR);
  out.set(text, 4);
  return out;
}

/**
 * Fetches blob `id` from the process serving `subject`: chunk 0 says how many chunks there
 * are; the rest are requested with at most `maxInFlight` outstanding (a bound on bytes in
 * flight). A missing block or an unreachable server is a TransportError naming the block.
 */
export async function fetchBlob(nc: NatsConnection, subject: string, id: string, opts: { maxInFlight?: number; timeoutMs?: number; aliveCheckMs?: number } = {}): Promise<Uint8Array> {
  const timeout = opts.timeoutMs ?? 10_000;
  const get = async (chunk: number): Promise<{ chunks: number; data: Uint8Array }> => {
    let reply;
    try {
      reply = await requestWhileServed(nc, subject, JSON.stringify({ id, chunk }), timeout, opts.aliveCheckMs ?? 1000);
    } catch (e) {
      throw new TransportError(`fetching block '${id}' chunk ${chunk} from ${subject}: ${(e as Error).message}`, { cause: e });
    }
    const d = reply.data;
    const head = new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(0);
    if (head === ERROR) throw new TransportError(`fetching block '${id}' from ${subject}: ${new TextDecoder().decode(d.subarray(4))}`);
    return { chunks: head, data: d.subarray(4) };
  };
  const first = await get(0);
  const parts: Uint8Array[] = new Array(first.chunks);
  parts[0] = first.data;
  let next = 1;
  const worker = async () => {
    while (next < first.chunks) {
      const i = next++;
      parts[i] = (await get(i)).data;
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.maxInFlight ?? 4, Math.max(0, first.chunks - 1)) }, worker));
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/**
 * `nc.request`, failing as soon as nothing serves `subject` any more. A server killed after a
 * request reached it never answers, and the request would wait out its whole timeout (10 s) while
 * the driver has long declared that executor lost: every `checkMs` an empty fetch asks the same
 * subject, which a live server answers at once ("no block ''"), and NATS answers "no responders"
 * for a server that is gone. A slow or silent answer to the check proves nothing and is ignored.
 */
async function requestWhileServed(nc: NatsConnection, subject: string, data: string, timeout: number, checkMs: number): Promise<Msg> {
  const req = nc.request(subject, data, { timeout });
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const gone = new Promise<never>((_, reject) => {
    const check = async (): Promise<void> => {
      try {
        await nc.request(subject, PING, { timeout: checkMs });
      } catch (e) {
        if (e instanceof RequestError && e.isNoResponders()) { reject(new Error('the server is gone (no responders)')); return; }
      }
      if (!settled) timer = setTimeout(() => void check(), checkMs);
    };
    timer = setTimeout(() => void check(), checkMs);
  });
  gone.catch(() => {});
  try {
    return await Promise.race([req, gone]);
  } finally {
    settled = true;
    clearTimeout(timer);
    req.catch(() => {});
  }
}

/** An empty fetch: a live server answers it with "no block ''". */
const PING = JSON.stringify({ id: '', chunk: 0 });
