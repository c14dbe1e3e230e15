// Direct block transfer between executors over TCP (the token, pipelining, errors, the fall back to NATS).
import { connect as natsConnect } from '@nats-io/transport-node';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BlockClients, BlockServer, TransferUnavailable } from '../../core/cluster/block-transfer.ts';
import { serveBlobs } from '../../core/cluster/chunks.ts';
import { fetchBlock } from '../../core/cluster/shuffle-fetch.ts';
import { TransportError } from '../../ops/errors.ts';
import { startNats } from './nats-server.ts';

const open: { close(): void }[] = [];
afterEach(() => { for (const o of open.splice(0)) o.close(); });

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

async function serve(blobs: Record<string, Uint8Array>): Promise<BlockServer> {
  const s = await BlockServer.listen((id) => blobs[id], { host: '127.0.0.1', listenHost: '127.0.0.1' });
  open.push(s);
  return s;
}

function clients(o?: { timeoutMs?: number; retryMs?: number }): BlockClients {
  const c = new BlockClients(o);
  open.push(c);
  return c;
}

describe('direct block transfer over TCP', () => {
  it('returns each block byte for byte, many in flight on one connection, in any size (empty, 1 byte, 3 MB)', async () => {
    const sab = new SharedArrayBuffer(1000);
    new Uint8Array(sab).set(bytes(1000, 9));
    const blobs: Record<string, Uint8Array> = { empty: new Uint8Array(0), one: bytes(1, 1), big: bytes(3 * 1024 * 1024 + 17, 2), shared: new Uint8Array(sab, 10, 900) };
    for (let i = 0; i < 20; i++) blobs[`b/${i}`] = bytes(1000 + i * 5000, i);
    const s = await serve(blobs);
    const c = clients();
    const ids = Object.keys(blobs);
    const got = await Promise.all(ids.map((id) => c.fetch(s.endpoint, id)));
    ids.forEach((id, i) => expect(Buffer.from(got[i]!).equals(Buffer.from(blobs[id]!)), id).toBe(true));
  });

  it('answers a block it does not hold with a TransportError naming it, and the connection serves on', async () => {
    const s = await serve({ a: bytes(10, 1) });
    const c = clients();
    const missing = c.fetch(s.endpoint, 'nope/3');
    const after = c.fetch(s.endpoint, 'a');
    await expect(missing).rejects.toThrow(TransportError);
    await expect(missing).rejects.toThrow(/no block 'nope\/3' here/);
    expect(await after).toEqual(bytes(10, 1));
  });

  it('refuses a connection without the token: nothing served, and the client falls back (TransferUnavailable)', async () => {
    const s = await serve({ a: bytes(10, 1) });
    const c = clients();
    const wrong = { ...s.endpoint, token: '0'.repeat(64) };
    await expect(c.fetch(wrong, 'a')).rejects.toThrow(TransferUnavailable);
    // A raw client that skips the token gets an error frame and is hung up on.
    const reply = await new Promise<Buffer>((resolve) => {
      const sock = connect(s.endpoint.port, '127.0.0.1');
      const parts: Buffer[] = [];
      sock.on('data', (d) => parts.push(d));
      sock.on('close', () => resolve(Buffer.concat(parts)));
      const id = Buffer.from('a');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(id.length);
      sock.write(Buffer.concat([len, id]));
    });
    expect(reply[0]).toBe(1);
    expect(reply.subarray(5).toString()).toMatch(/wrong block-transfer token/);
  });

  it('a server that is gone is TransferUnavailable at once, and the endpoint is skipped until retryMs passes', async () => {
    const s = await serve({ a: bytes(10, 1) });
    const ep = s.endpoint;
    s.close();
    const c = clients({ retryMs: 60_000 });
    await expect(c.fetch(ep, 'a')).rejects.toThrow(TransferUnavailable);
    const t0 = Date.now();
    await expect(c.fetch(ep, 'a')).rejects.toThrow(/failed recently/);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('a server that stops answering fails the waiting fetches after timeoutMs, as TransferUnavailable', async () => {
    const s = await serve({});
    const c = clients({ timeoutMs: 300 });
    // A listener that accepts and never answers, at the endpoint's host and token.
    const { createServer } = await import('node:net');
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    open.push({ close: () => silent.close() });
    const ep = { ...s.endpoint, port: (silent.address() as { port: number }).port };
    await expect(c.fetch(ep, 'a')).rejects.toThrow(/no reply within 300 ms/);
  });
});

describe('fetchBlock: TCP first, NATS the fallback', () => {
  it('takes a block over TCP when the server answers, over NATS when its port is gone, and fails only when neither has it', async () => {
    const nats = await startNats();
    const nc = await natsConnect({ servers: nats.url });
    try {
      const blobs: Record<string, Uint8Array> = { 'k/0': bytes(5000, 3) };
      let natsServed = 0;
      serveBlobs(nc, 'test.blocks', (id) => { natsServed++; return blobs[id]; });
      const s = await serve(blobs);
      const c = clients();
      const counters: Record<string, number> = {};
      const o = { nc, subjectOf: () => 'test.blocks', direct: { endpointOf: () => s.endpoint, clients: c }, counters };
      expect(await fetchBlock('e', 'k/0', o)).toEqual(blobs['k/0']);
      expect(counters.directBlocksRead).toBe(1);
      expect(natsServed).toBe(0);
      // A block the server does not hold is its answer: not retried over NATS.
      await expect(fetchBlock('e', 'k/9', o)).rejects.toThrow(/no block 'k\/9' here/);
      expect(natsServed).toBe(0);
      s.close();
      expect(await fetchBlock('e', 'k/0', o)).toEqual(blobs['k/0']);
      expect(counters.directBlocksRead).toBe(1);
      expect(natsServed).toBe(1);
      await expect(fetchBlock('e', 'k/9', o)).rejects.toThrow(TransportError);
    } finally {
      await nc.close();
      await nats.stop();
    }
  });
});
