// Reading one reduce partition of a shuffle in cluster mode: blocks on this process's side as they are, the others fetched from the executors holding them.
import type { NatsConnection } from '@nats-io/transport-node';
import { TransportError } from '../../ops/errors.ts';
import type { BlockRef } from '../runtime/ipc.ts';
import { TransferUnavailable, type BlockClients, type BlockEndpoint } from './block-transfer.ts';
import { fetchBlob, ipcToBlock } from './chunks.ts';

/** An input that could not be fetched: the driver recomputes that map output. */
export class FetchFailed extends Error {
  constructor(readonly stage: number, readonly map: number, readonly executor: string, reason: string) {
    super(reason);
  }
}

/** One map output's block of the partition read: which map task, which attempt, on which executor. */
export interface BlockLocation {
  map: number;
  attempt: number;
  executor: string;
}

export interface GatherOptions {
  nc: NatsConnection;
  /** The stage whose output is read (named in a FetchFailed). */
  stage: number;
  /** Where an executor serves its blocks. */
  subjectOf(executor: string): string;
  /** The block id to ask an executor for. */
  idOf(w: BlockLocation): string;
  /** A block held here (undefined: not here, so fetch it; a throw is a FetchFailed). */
  local?(w: BlockLocation): BlockRef | null | undefined;
  /** Counts remoteBlocksRead and remoteBytesRead (and directBlocksRead: those that came over TCP). */
  counters?: Record<string, number>;
  /** Direct transfer: an executor's block server (undefined: fetch over NATS) and the connections to use. */
  direct?: { endpointOf(executor: string): BlockEndpoint | undefined; clients: BlockClients };
}

/** Runs fetches at most `limit` at a time, first asked first served. */
class FetchQueue {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await f();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** Locations grouped by executor, as a task request lists them, in map order. */
export function locations(from: Record<string, [number, number][]>): BlockLocation[] {
  const out: BlockLocation[] = [];
  for (const [executor, list] of Object.entries(from)) for (const [map, attempt] of list) out.push({ map, attempt, executor });
  return out.sort((a, b) => a.map - b.map);
}

/**
 * The blocks at `wanted`, in its order, empty ones left out; at most 4 fetches in flight per
 * call. (One queue shared by an executor's tasks, first task first, made the log top-5 job's
 * reduce stage slower, not faster: more requests in flight hide more of NATS's latency.)
 */
export async function gatherBlocks(wanted: BlockLocation[], o: GatherOptions): Promise<BlockRef[]> {
  const out: (BlockRef | null)[] = new Array(wanted.length).fill(null);
  const queue = new FetchQueue(4);
  await Promise.all(wanted.map(async (w, i) => {
    const here = o.local?.(w);
    if (here !== undefined) { out[i] = here; return; }
    await queue.run(async () => {
      try {
        const bytes = await fetchBlock(w.executor, o.idOf(w), o);
        out[i] = bytes.length ? ipcToBlock(bytes) : null;
        if (o.counters) {
          o.counters.remoteBlocksRead = (o.counters.remoteBlocksRead ?? 0) + 1;
          o.counters.remoteBytesRead = (o.counters.remoteBytesRead ?? 0) + bytes.length;
        }
      } catch (e) {
        if (e instanceof TransportError) throw new FetchFailed(o.stage, w.map, w.executor, e.message);
        throw e;
      }
    });
  }));
  return out.filter((b): b is BlockRef => b !== null);
}

/**
 * Block `id` from `executor`: over TCP from its block server when it announced one and answers,
 * else over NATS. A block it does not hold, or an executor that answers neither, is a TransportError.
 */
export async function fetchBlock(executor: string, id: string, o: Pick<GatherOptions, 'nc' | 'subjectOf' | 'direct' | 'counters'>): Promise<Uint8Array> {
  const ep = o.direct?.endpointOf(executor);
  if (ep) {
    try {
      const bytes = await o.direct!.clients.fetch(ep, id);
      if (o.counters) o.counters.directBlocksRead = (o.counters.directBlocksRead ?? 0) + 1;
      return bytes;
    } catch (e) {
      if (!(e instanceof TransferUnavailable)) throw e;
    }
  }
  return fetchBlob(o.nc, o.subjectOf(executor), id, { timeoutMs: 10_000 });
}
