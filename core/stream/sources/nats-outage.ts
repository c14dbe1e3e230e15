// Riding out a NATS server outage (a restart, a network blip): calls retried while their failure is one a reconnect cures, up to a time limit.
import { errors } from '@nats-io/transport-node';
import { JetStreamApiError, JetStreamError } from '@nats-io/jetstream';
import { TransportError } from '../../../ops/errors.ts';

/** How long a source keeps retrying before the query fails with a TransportError. */
export const MAX_OUTAGE_MS = 120_000;
const FIRST_WAIT_MS = 250;
const MAX_WAIT_MS = 2_000;
/** nats-server's JSClusterNotAvailErr, "JetStream system temporarily unavailable" (status 503, as are lasting refusals such as a stream's limits). */
const JS_TEMPORARILY_UNAVAILABLE = 10008;

/**
 * Whether `e` is what nats.js reports while the server is unreachable or still starting:
 * timeouts, a dropped connection, no responders, missed heartbeats of a pull, JetStream
 * "temporarily unavailable". An API answer such as "stream not found" or "maximum messages
 * exceeded" is not.
 */
export function isOutage(e: unknown): boolean {
  if (e instanceof errors.TimeoutError || e instanceof errors.RequestError || e instanceof errors.NoRespondersError || e instanceof errors.ConnectionError) return true;
  if (e instanceof JetStreamApiError) return e.code === JS_TEMPORARILY_UNAVAILABLE;
  return e instanceof JetStreamError;
}

/** Tracks one ongoing outage across calls that do not wait for it (a poll that just reports "no news"). */
export class OutageClock {
  private since: number | null = null;

  constructor(private readonly what: string, private readonly limitMs = MAX_OUTAGE_MS) {}

  /** A call failed: returns if it may be retried later, throws if not (another error, or the outage lasted too long). */
  failed(e: unknown): void {
    if (!isOutage(e)) throw e;
    const now = Date.now();
    this.since ??= now;
    if (now - this.since > this.limitMs) {
      throw new TransportError(`${this.what}: the NATS server has not answered for ${Math.round((now - this.since) / 1000)} s (${(e as Error).message}); is it running and reachable?`, { cause: e });
    }
  }

  ok(): void {
    this.since = null;
  }
}

/** Runs `call`, retrying with a growing pause while it fails by an outage, for at most `limitMs`. */
export async function retryOutage<T>(what: string, call: () => Promise<T>, limitMs = MAX_OUTAGE_MS): Promise<T> {
  const clock = new OutageClock(what, limitMs);
  for (let wait = FIRST_WAIT_MS; ; wait = Math.min(MAX_WAIT_MS, wait * 2)) {
    try {
      return await call();
    } catch (e) {
      clock.failed(e);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
