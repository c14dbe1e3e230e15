// The parameter-server protocol: control requests (driver -> executor), step requests (worker -> driver) and push/pull frame headers, each checked by schema; anything else is refused, never thrown.
import * as v from 'valibot';
import { EXECUTOR_ID, PROTOCOL_VERSION } from '../../cluster/protocol.ts';

/** A training's id: random, one per q.train call. */
const TrainId = v.pipe(v.string(), v.regex(/^[0-9a-f]{16}$/, 'a training id is 16 hex digits'));
/**
 * 32 random bytes in hex, known to the driver and the executors it started a shard or worker on
 * (sent on their own control subjects): a push, pull or step request without it is refused.
 */
const Secret = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'a secret is 64 hex digits'));
const ExecId = v.pipe(v.string(), v.regex(EXECUTOR_ID, 'not an executor id'));
const Count = v.pipe(v.number(), v.integer(), v.minValue(0));
const Positive = v.pipe(v.number(), v.finite(), v.minValue(0));
const Base = { v: v.literal(PROTOCOL_VERSION), trainId: TrainId, secret: Secret };

/** How a shard applies pushes: 'sync' sums a clock's pushes until the driver commits it (sequential); 'async' applies each at once. */
export const ShardMode = v.picklist(['sync', 'async']);
export type ShardMode = v.InferOutput<typeof ShardMode>;

export const AdamSettings = v.object({ lr: Positive, beta1: Positive, beta2: Positive, eps: Positive });
export type AdamSettings = v.InferOutput<typeof AdamSettings>;

/** Driver -> executor: serve shard `shard` (keys [from, to)), its state fetched from the driver's blob `state` (initial weights or a checkpoint). */
export const StartShard = v.object({
  ...Base, kind: v.literal('startShard'), driverId: v.pipe(v.string(), v.maxLength(64)),
  shard: Count, from: Count, to: Count, mode: ShardMode, adam: AdamSettings, state: v.pipe(v.string(), v.maxLength(128)),
});
/** Driver -> executor: run a worker: ask the driver for steps, pull, compute gradients on the pool, push. */
export const StartWorker = v.object({
  ...Base, kind: v.literal('startWorker'), driverId: v.pipe(v.string(), v.maxLength(64)),
  layers: v.pipe(v.array(v.object({ in: v.pipe(Count, v.minValue(1)), out: v.pipe(Count, v.minValue(1)) })), v.minLength(1), v.maxLength(16)),
  scale: v.pipe(v.number(), v.finite()), shift: v.pipe(v.number(), v.finite()), seed: v.pipe(v.number(), v.integer()),
  /** Push each step while computing the next (relaxed consistency); false: push, then ask for the next step. */
  pipeline: v.boolean(),
  /** Injected slowness (benchmarks and tests): each step sleeps (slowdown - 1) x its compute time. */
  slowdown: v.pipe(v.number(), v.minValue(1), v.maxValue(100)),
});
/** Driver -> shard (sequential): apply the summed pushes of `clock` as one step. */
export const Commit = v.object({ ...Base, kind: v.literal('commit'), shard: Count, clock: Count });
/** Driver -> shard: the learning rate from now on (decay between epochs). */
export const SetLr = v.object({ ...Base, kind: v.literal('setLr'), shard: Count, lr: Positive });
/** Driver -> executor: drop this training's shards and stop its worker. */
export const Stop = v.object({ ...Base, kind: v.literal('stop') });
export const PsControl = v.variant('kind', [StartShard, StartWorker, Commit, SetLr, Stop]);
export type PsControl = v.InferOutput<typeof PsControl>;
export type StartShard = v.InferOutput<typeof StartShard>;
export type StartWorker = v.InferOutput<typeof StartWorker>;
/** The reply to a control request; `code` is an error class's code (never matched by text). */
export type PsControlReply = { ok: true } | { ok: false; code: string; error: string };

/** What a worker reports of the step it finished. */
export const StepDone = v.object({
  clock: Count, rows: Count, loss: v.pipe(v.number(), v.finite()), correct: Count,
  /** Every shard took the push; false: the gradient was dropped (a shard was unreachable). */
  pushed: v.boolean(),
  computeMs: Positive,
  /** Milliseconds pulling the weights and pushing the gradient (all shards). */
  pullMs: v.optional(Positive),
  pushMs: v.optional(Positive),
  /** The executor of a shard this worker could not reach (the driver probes it at once). */
  unreachable: v.optional(ExecId),
});
export type StepDone = v.InferOutput<typeof StepDone>;

/**
 * Worker -> driver: the step it finished (if any), and a request for the next; `next: false` only
 * reports (answered 'wait' at once): a worker that pushes while it computes reports each push
 * as it completes.
 */
export const StepRequest = v.object({ ...Base, kind: v.literal('step'), worker: ExecId, done: v.nullable(StepDone), next: v.optional(v.boolean(), true) });
export type StepRequest = v.InferOutput<typeof StepRequest>;

const ShardPlace = v.object({ shard: Count, executor: ExecId, from: Count, to: Count });
export type ShardPlace = v.InferOutput<typeof ShardPlace>;
/** Driver -> worker: run clock `clock` on rows [from, to) of partition `partition`'s order in `epoch`; or wait and ask again; or stop. */
export const StepReply = v.variant('kind', [
  v.object({ kind: v.literal('run'), clock: Count, epoch: Count, partition: Count, from: Count, to: Count, shards: v.array(ShardPlace) }),
  v.object({ kind: v.literal('wait') }),
  v.object({ kind: v.literal('finished') }),
  v.object({ kind: v.literal('refused'), error: v.pipe(v.string(), v.maxLength(4096)) }),
]);
export type StepReply = v.InferOutput<typeof StepReply>;

/** Header of a push frame: floats [offset, offset + count) of the shard's range, summed over `rows` rows; chunk `chunk` of `chunks`. */
export const PushHeader = v.object({
  ...Base, kind: v.literal('push'), shard: Count, worker: ExecId, clock: Count, rows: Count,
  chunk: Count, chunks: v.pipe(Count, v.minValue(1)), offset: Count, count: Count,
});
export type PushHeader = v.InferOutput<typeof PushHeader>;
/** Header of a pull frame: chunk `chunk` of the shard's parameters or (for checkpoints) its whole state, from snapshot `snap` (null: take a new one). */
export const PullHeader = v.object({
  ...Base, kind: v.literal('pull'), shard: Count, what: v.picklist(['params', 'state']),
  snap: v.nullable(v.pipe(v.string(), v.regex(/^[0-9a-z]{1,16}$/))), chunk: Count,
});
export type PullHeader = v.InferOutput<typeof PullHeader>;
export const DataHeader = v.variant('kind', [PushHeader, PullHeader]);
export type DataHeader = v.InferOutput<typeof DataHeader>;

/** Header of a shard's reply frame. `clocks` is its vector clock: per worker, the last clock it applied. */
export const DataReply = v.variant('ok', [
  v.object({
    ok: v.literal(true),
    snap: v.optional(v.string()), chunks: v.optional(Count),
    /** Updates applied so far (pushes in async mode, commits in sync mode). */
    version: v.optional(Count),
    clocks: v.optional(v.record(v.string(), v.number())),
  }),
  v.object({ ok: v.literal(false), code: v.string(), error: v.string() }),
]);
export type DataReply = v.InferOutput<typeof DataReply>;
