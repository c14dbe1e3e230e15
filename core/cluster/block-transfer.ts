// Direct block transfer between cluster processes over TCP: an executor serves its blocks on a port of its own, behind a secret token it announces over NATS; NATS stays the fallback.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { TransportError } from '../../ops/errors.ts';

/** Where and how to fetch an executor's blocks directly: announced in its registration. */
export interface BlockEndpoint {
  host: string;
  port: number;
  /** 64 hex digits; a connection that does not open with it is closed. */
  token: string;
}

/** Longest block id a request may carry. */
const MAX_ID_BYTES = 1024;
const OK = 0;
const ERR = 1;

/**
 * The address peers reach this host at: the first non-internal IPv4 address, else loopback.
 * (An executor started with an explicit blockHost announces that instead.)
 */
export function defaultBlockHost(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/**
 * Serves byte arrays by id over TCP. A connection opens with the token (a 4-byte big-endian
 * length, then its bytes); each request after it is a length and a UTF-8 block id. Every frame,
 * the token's included, is answered in order: a status byte (0 ok, 1 error), a 4-byte length,
 * then the block's bytes or the error message. A wrong token is answered with an error and the
 * connection closed. The bytes are written as they are held (no copy).
 */
export class BlockServer {
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server, readonly endpoint: BlockEndpoint) {}

  static listen(lookup: (id: string) => Uint8Array | undefined, o: { host?: string; listenHost?: string } = {}): Promise<BlockServer> {
    const token = randomBytes(32).toString('hex');
    const want = Buffer.from(token);
    let bs!: BlockServer;
    const server = createServer((socket) => {
      bs.sockets.add(socket);
      socket.on('close', () => bs.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      socket.setNoDelay(true);
      let pending: Buffer = Buffer.alloc(0);
      let authed = false;
      socket.on('data', (data: Buffer) => {
        pending = pending.length ? Buffer.concat([pending, data]) : data;
        while (pending.length >= 4) {
          const len = pending.readUInt32BE(0);
          if (len > MAX_ID_BYTES) { reply(socket, ERR, Buffer.from(`a request of ${len} bytes (the most is ${MAX_ID_BYTES})`)); socket.end(); return; }
          if (pending.length < 4 + len) break;
          const frame = pending.subarray(4, 4 + len);
          pending = pending.subarray(4 + len);
          if (!authed) {
            if (frame.length !== want.length || !timingSafeEqual(frame, want)) { reply(socket, ERR, Buffer.from('wrong block-transfer token')); socket.end(); return; }
            authed = true;
            reply(socket, OK, new Uint8Array(0));
            continue;
          }
          const id = frame.toString('utf8');
          let blob: Uint8Array | undefined;
          try {
            blob = lookup(id);
          } catch (e) {
            reply(socket, ERR, Buffer.from(`block '${id}': ${(e as Error).message}`));
            continue;
          }
          if (blob) reply(socket, OK, blob);
          else reply(socket, ERR, Buffer.from(`no block '${id}' here (lost, or never written)`));
        }
        if (pending.length === 0) pending = Buffer.alloc(0);
      });
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, o.listenHost ?? '0.0.0.0', () => {
        server.off('error', reject);
        server.unref();
        const port = (server.address() as { port: number }).port;
        bs = new BlockServer(server, { host: o.host ?? defaultBlockHost(), port, token });
        resolve(bs);
      });
    });
  }

  close(): void {
    this.server.close();
    for (const s of this.sockets) s.destroy();
  }
}

function reply(socket: Socket, status: number, body: Uint8Array): void {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt8(status, 0);
  head.writeUInt32BE(body.length, 1);
  socket.cork();
  socket.write(head);
  if (body.length) socket.write(body);
  socket.uncork();
}

interface Waiter {
  id: string;
  resolve(bytes: Uint8Array): void;
  reject(e: Error): void;
}

/** One pipelined connection to one endpoint: requests are answered in the order sent. */
class BlockConnection {
  private readonly waiting: Waiter[] = [];
  private head: Buffer = Buffer.alloc(0);
  private body: Uint8Array | null = null;
  private bodyAt = 0;
  private status = OK;
  private readonly socket: Socket;
  private timer: NodeJS.Timeout | null = null;
  broken: Error | null = null;

  constructor(private readonly ep: BlockEndpoint, private readonly timeoutMs: number, private readonly onBroken: () => void) {
    this.socket = connect({ host: ep.host, port: ep.port, noDelay: true });
    this.socket.unref();
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
    const hello = Buffer.from(ep.token);
    this.send(hello, { id: '(token)', resolve: () => {}, reject: () => {} });
  }

  fetch(id: string): Promise<Uint8Array> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => this.send(Buffer.from(id, 'utf8'), { id, resolve, reject }));
  }

  private send(frame: Buffer, w: Waiter): void {
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(frame.length, 0);
    this.waiting.push(w);
    this.socket.cork();
    this.socket.write(len);
    this.socket.write(frame);
    this.socket.uncork();
    this.arm();
  }

  /** A reply must start arriving within timeoutMs of the oldest outstanding request (or of the last bytes). */
  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = this.waiting.length ? setTimeout(() => this.fail(new Error(`no reply within ${this.timeoutMs} ms`)), this.timeoutMs) : null;
    this.timer?.unref();
  }

  private onData(d: Buffer): void {
    let at = 0;
    while (at < d.length) {
      if (this.body === null) {
        const need = 5 - this.head.length;
        const take = d.subarray(at, at + need);
        this.head = this.head.length ? Buffer.concat([this.head, take]) : take;
        at += take.length;
        if (this.head.length < 5) break;
        this.status = this.head.readUInt8(0);
        this.body = new Uint8Array(this.head.readUInt32BE(1));
        this.bodyAt = 0;
        this.head = Buffer.alloc(0);
      }
      const take = Math.min(this.body.length - this.bodyAt, d.length - at);
      this.body.set(d.subarray(at, at + take), this.bodyAt);
      this.bodyAt += take;
      at += take;
      if (this.bodyAt === this.body.length) {
        const w = this.waiting.shift();
        const body = this.body;
        this.body = null;
        if (!w) { this.fail(new Error('a reply to no request')); return; }
        if (this.status === OK) w.resolve(body);
        else {
          const message = `fetching block '${w.id}' from ${this.ep.host}:${this.ep.port}: ${Buffer.from(body).toString('utf8')}`;
          w.reject(new TransportError(message));
          if (w.id === '(token)') { this.fail(new Error(message)); return; }
        }
      }
    }
    this.arm();
  }

  private fail(e: Error): void {
    if (this.broken) return;
    this.broken = new TransportError(`block transfer from ${this.ep.host}:${this.ep.port}: ${e.message}`, { cause: e });
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.waiting.splice(0)) w.reject(this.broken);
    this.socket.destroy();
    this.onBroken();
  }

  close(): void {
    this.fail(new Error('closed'));
  }
}

/** Raised by BlockClients.fetch when the endpoint could not be reached or the connection broke: fetch over NATS instead. */
export class TransferUnavailable extends Error {}

/**
 * Connections to other processes' block servers, one per endpoint, made on first use. A
 * connection that breaks is dropped and the endpoint skipped for `retryMs`, so callers fall
 * back to NATS; a block the server does not have is a TransportError, as over NATS.
 */
export class BlockClients {
  private readonly conns = new Map<string, BlockConnection>();
  private readonly down = new Map<string, number>();

  constructor(private readonly o: { timeoutMs?: number; retryMs?: number } = {}) {}

  async fetch(ep: BlockEndpoint, id: string): Promise<Uint8Array> {
    const key = `${ep.host}:${ep.port}/${ep.token}`;
    const until = this.down.get(key);
    if (until !== undefined && Date.now() < until) throw new TransferUnavailable(`block transfer to ${ep.host}:${ep.port} failed recently`);
    let c = this.conns.get(key);
    if (!c || c.broken) {
      const made: BlockConnection = new BlockConnection(ep, this.o.timeoutMs ?? 10_000, () => {
        if (this.conns.get(key) === made) this.conns.delete(key);
        this.down.set(key, Date.now() + (this.o.retryMs ?? 5000));
      });
      c = made;
      this.conns.set(key, c);
    }
    try {
      return await c.fetch(id);
    } catch (e) {
      // A missing block is the server's answer; anything else is the connection's fault.
      if (e instanceof TransportError && !c.broken) throw e;
      throw new TransferUnavailable((e as Error).message, { cause: e });
    }
  }

  close(): void {
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
  }
}
