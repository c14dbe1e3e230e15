// The streaming bench's publisher process: JSON events (event time, one of 100 keys) to a JetStream subject, at full speed or a given rate, with each event's publish time saved by stream sequence.
//
//   tsx bench/lib/stream-publisher.ts <nats-url> <subject> <count> <events/s, 0: as fast as acks allow> <times-file>
//
// The times file is a Float64Array of `count` wall-clock milliseconds: entry seq - 1 is when the
// event stored at stream sequence `seq` was handed to js.publish (the stream MUST be new, so that
// its sequences start at 1). Prints one JSON line {count, seconds} when every event is acked.
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { writeFileSync } from 'node:fs';

/** Publishes not yet acked by the server: enough to keep it busy, few enough to bound memory. */
const IN_FLIGHT = 4096;
const KEYS = 100;

const [url, subject, countArg, rateArg, timesFile] = process.argv.slice(2);
const count = Number(countArg), rate = Number(rateArg);
if (!url || !subject || !(count > 0) || !(rate >= 0) || !timesFile) {
  throw new Error(`usage: stream-publisher.ts <nats-url> <subject> <count> <events/s> <times-file>; got ${JSON.stringify(process.argv.slice(2))}`);
}

const nc = await connect({ servers: url });
const js = jetstream(nc);
const times = new Float64Array(count);
const pending = new Set<Promise<void>>();
const t0 = performance.now();
for (let i = 0; i < count; i++) {
  if (rate > 0) {
    // Paced: event i is due at i / rate seconds; sleep only when more than 2 ms ahead (timers are coarse).
    const ahead = t0 + (i * 1000) / rate - performance.now();
    if (ahead > 2) await new Promise((r) => setTimeout(r, ahead));
  }
  const at = Date.now();
  const body = `{"ts":"${new Date(at).toISOString()}","k":"k${(i * 37) % KEYS}"}`;
  const p: Promise<void> = js.publish(subject, body).then((ack) => { times[ack.seq - 1] = at; pending.delete(p); });
  pending.add(p);
  if (pending.size >= IN_FLIGHT) await Promise.race(pending);
}
await Promise.all(pending);
const seconds = (performance.now() - t0) / 1000;
await nc.close();
writeFileSync(timesFile, new Uint8Array(times.buffer));
console.log(JSON.stringify({ count, seconds }));
