// Blocks across processes: Arrow IPC round trip, and chunked fetches through a real nats-server with a small max_payload.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import * as arrow from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockToIpc, chunkSize, fetchBlob, ipcToBlock, serveBlobs } from '../../core/cluster/chunks.ts';
import { decodeBlock, encodeBlock } from '../../core/runtime/ipc.ts';
import { startNats, type NatsServer } from './nats-server.ts';

function table(n: number): arrow.Table {
  return new arrow.Table({
    id: arrow.makeVector(Int32Array.from({ length: n }, (_, i) => i)),
    s: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : `row-${i}`)), new arrow.Utf8()),
  });
}

describe('blocks as Arrow IPC', () => {
  it('round-trips a block, nulls and all', () => {
    const t = table(1000);
    const back = ipcToBlock(blockToIpc(encodeBlock(t.schema, t.batches)));
    const rows = [...decodeBlock(back)].flatMap((b) => b.toArray().map((r) => r.toJSON()));
    expect(rows).toEqual(t.toArray().map((r) => r.toJSON()));
    expect(back.rows).toBe(1000);
  });
});

describe('chunked fetch over NATS', () => {
  let nats: NatsServer;
  let a: NatsConnection, b: NatsConnection;
  const store = new Map<string, Uint8Array>();
  let requests = 0;
  beforeAll(async () => {
    nats = await startNats({ maxPayload: 64 * 1024 });
    a = await connect({ servers: nats.url });
    b = await connect({ servers: nats.url });
    serveBlobs(a, 'quiver.t.exec.a.blocks', (id) => { requests++; return store.get(id); });
    await a.flush();
  });
  afterAll(async () => { await a?.close(); await b?.close(); await nats?.stop(); });

  it('moves a block larger than max_payload in chunks under it, byte for byte', async () => {
    const t = table(200_000);
    const bytes = blockToIpc(encodeBlock(t.schema, t.batches));
    expect(bytes.length).toBeGreaterThan(1_000_000);
    store.set('s0-m3-a0', bytes);
    expect(chunkSize(a)).toBeLessThan(64 * 1024);
    requests = 0;
    const got = await fetchBlob(b, 'quiver.t.exec.a.blocks', 's0-m3-a0', { maxInFlight: 3 });
    expect(Buffer.from(got).equals(Buffer.from(bytes))).toBe(true);
    expect(requests).toBe(Math.ceil(bytes.length / chunkSize(a)));
    expect(ipcToBlock(got).rows).toBe(200_000);
  });

  it('fetches an empty block', async () => {
    const t = table(0);
    store.set('empty', blockToIpc(encodeBlock(t.schema, t.batches)));
    expect(ipcToBlock(await fetchBlob(b, 'quiver.t.exec.a.blocks', 'empty')).rows).toBe(0);
  });

  it('says which block is missing, and refuses malformed requests', async () => {
    await expect(fetchBlob(b, 'quiver.t.exec.a.blocks', 'nope')).rejects.toThrow(/fetching block 'nope' from quiver\.t\.exec\.a\.blocks: no block 'nope' here/);
    const r = await b.request('quiver.t.exec.a.blocks', 'garbage', { timeout: 5000 });
    expect(new TextDecoder().decode(r.data.subarray(4))).toMatch(/bad fetch request/);
    await expect(fetchBlob(b, 'quiver.t.exec.nobody.blocks', 'x', { timeoutMs: 500 })).rejects.toThrow(/fetching block 'x' chunk 0 from quiver\.t\.exec\.nobody\.blocks/);
  });

  it('gives up on a server that went away holding the request, without waiting out the timeout', async () => {
    // A server that takes the request, then is gone (as an executor killed mid-fetch): with a
    // 120 s timeout the test would time out unless the liveness checks notice.
    const c = await connect({ servers: nats.url });
    const sub = c.subscribe('quiver.t.exec.c.blocks', { callback: (_e, m) => { if (m.json<{ id: string }>().id === 'x') sub.unsubscribe(); } });
    await c.flush();
    await expect(fetchBlob(b, 'quiver.t.exec.c.blocks', 'x', { timeoutMs: 120_000, aliveCheckMs: 200 })).rejects.toThrow(/fetching block 'x' chunk 0 from quiver\.t\.exec\.c\.blocks: the server is gone \(no responders\)/);
    await c.close();
  }, 30_000);

  it('keeps waiting for a slow answer while the server is there', async () => {
    const d = await connect({ servers: nats.url });
    const t = table(10);
    const bytes = blockToIpc(encodeBlock(t.schema, t.batches));
    let pings = 0;
    // Answers the liveness checks at once (as serveBlobs: no such block), the block itself after 1.5 s.
    const slow = d.subscribe('quiver.t.exec.d.slow', { callback: (_e, m) => {
      if (m.json<{ id: string }>().id === '') { m.respond(new Uint8Array([255, 255, 255, 255])); pings++; return; }
      setTimeout(() => m.respond(Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from(bytes)])), 1500);
    } });
    await d.flush();
    const got = await fetchBlob(b, 'quiver.t.exec.d.slow', 'blk', { timeoutMs: 10_000, aliveCheckMs: 200 });
    expect(Buffer.from(got).equals(Buffer.from(bytes))).toBe(true);
    expect(pings).toBeGreaterThanOrEqual(3);
    slow.unsubscribe();
    await d.close();
  });
});
