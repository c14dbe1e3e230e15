// The streaming bench's publisher process: JSON events (event time, one of 100 keys) to a JetStream subject, at full speed or a given rate, with each event's publish time saved by stream sequence.
//
//   tsx bench/lib/stream-publisher.ts <nats-url> <subject> <count> <events/s, 0: full speed> <times-file>
//
// The times file is a Float64Array of `count` wall-clock milliseconds: entry seq - 1 is when the
// event stored at stream sequence `seq` was published (the stream MUST be new, so that its
// sequences start at 1). Prints one JSON line {count, seconds} when the stream holds every event.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { writeFileSync } from 'node:fs';

/** Messages between flushes (a round trip to the server): enough to keep it busy, few enough to bound its buffers. */
const FLUSH_EVERY = 1000;
const KEYS = 100;

const [url, subject, countArg, rateArg, timesFile] = process.argv.slice(2);
const count = Number(countArg), rate = Number(rateArg);
if (!url || !subject || !(count > 0) || !(rate >= 0) || !timesFile) {
  throw new Error(`usage: stream-publisher.ts <nats-url> <subject> <count> <events/s> <times-file>; got ${JSON.stringify(process.argv.slice(2))}`);
}

const nc = await connect({ servers: url });
const jsm = await jetstreamManager(nc);
const stream = await jsm.streams.find(subject);
const first = (await jsm.streams.info(stream)).state.last_seq + 1;
if (first !== 1) throw new Error(`stream ${stream} already holds ${first - 1} messages: the publisher needs a new stream`);
const times = new Float64Array(count);
const t0 = performance.now();
// Core publishes (no ack per message: a JetStream publish with its reply inbox costs more than
// the consumer being measured), flushed every FLUSH_EVERY messages so the server keeps up; one
// connection's messages are stored in publish order, so event i is stream sequence i + 1, which
// the stream's state confirms at the end.
for (let i = 0; i < count; i++) {
  if (rate > 0) {
    // Paced: event i is due at i / rate seconds; sleep only when more than 2 ms ahead (timers are coarse).
    const ahead = t0 + (i * 1000) / rate - performance.now();
    if (ahead > 2) await new Promise((r) => setTimeout(r, ahead));
  }
  const at = Date.now();
  times[i] = at;
  nc.publish(subject, `{"ts":"${new Date(at).toISOString()}","k":"k${(i * 37) % KEYS}"}`);
  if (i % FLUSH_EVERY === FLUSH_EVERY - 1) await nc.flush();
}
await nc.flush();
// Stored once the stream says so (the server may still be writing the last ones).
for (let tries = 0; ; tries++) {
  const last = (await jsm.streams.info(stream)).state.last_seq;
  if (last === count) break;
  if (tries > 200) throw new Error(`stream ${stream} stored ${last} of ${count} published events`);
  await new Promise((r) => setTimeout(r, 10));
}
const seconds = (performance.now() - t0) / 1000;
await nc.close();
writeFileSync(timesFile, new Uint8Array(times.buffer));
console.log(JSON.stringify({ count, seconds }));
