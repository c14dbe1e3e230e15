// Cluster control protocol: small JSON messages on subjects under a cluster prefix, validated by schema; anything else is rejected, never thrown.
import * as v from 'valibot';

/** Protocol version every message carries; a peer speaking another is rejected. */
export const PROTOCOL_VERSION = 2;
/** Control messages larger than this are rejected unread (data never travels as control messages). */
export const MAX_CONTROL_BYTES = 64 * 1024;
/** Largest stage plan a task request carries inline (larger ones are fetched from the driver). */
export const MAX_INLINE_PLAN_BYTES = 64 * 1024;

/** An executor's id: its name (a subject token of its own, so NATS permissions can name it) and 8 random hex digits. */
export const EXECUTOR_ID = /^([A-Za-z0-9_-]{1,40})-[0-9a-f]{8}$/;

/** The name part of an executor id (the token its subjects are grouped under). */
export function executorName(executorId: string): string {
  return EXECUTOR_ID.exec(executorId)?.[1] ?? executorId;
}

/**
 * Subjects, all under `quiver.<cluster>.`. Everything of one executor lies under
 * `exec.<name>.<id>.`, so a NATS permission `quiver.<cluster>.exec.<name>.>` gives one executor
 * (its own user) its own subjects and no one else's (see `quiver nats-config`).
 */
export const subjects = (cluster: string) => {
  const exec = (executorId: string) => `quiver.${cluster}.exec.${executorName(executorId)}.${executorId}`;
  return {
    /** Registration, heartbeats and leaving, each on the executor's own subject (a driver checks the id in the message matches it). */
    announce: (executorId: string) => `${exec(executorId)}.announce`,
    /** Everything executors announce (for a driver's subscription). */
    announcements: `quiver.${cluster}.exec.*.*.announce`,
    /** A driver asking every executor to register (again): on start, and on a heartbeat from one it does not know. */
    hello: `quiver.${cluster}.driver.hello`,
    /** Requests to one executor. */
    control: (executorId: string) => `${exec(executorId)}.control`,
    /** Task requests to one executor (request/reply: the reply only acknowledges). */
    task: (executorId: string) => `${exec(executorId)}.task`,
    /** Blocks an executor serves (shuffle, broadcast and result output). */
    execBlocks: (executorId: string) => `${exec(executorId)}.blocks`,
    /** Task results to one driver (request/reply: the executor retries until the driver acknowledges). */
    result: (driverId: string) => `quiver.${cluster}.driver.${driverId}.result`,
    /** Blocks a driver serves: stage plans and in-memory tables. */
    driverBlocks: (driverId: string) => `quiver.${cluster}.driver.${driverId}.blocks`,
    /** Drivers' heartbeats, job ends and goodbyes (executors drop a driver's state when it is gone). */
    driverNews: `quiver.${cluster}.drivers`,
    /** Parameter-server training: a driver's requests to one executor (start or stop a shard or worker, commit, learning rate). */
    psControl: (executorId: string) => `${exec(executorId)}.psctl`,
    /** Parameter-server training: pushes and pulls (binary frames) to the shards one executor hosts. */
    psShard: (executorId: string) => `${exec(executorId)}.ps`,
    /** Parameter-server training: workers' step requests to their driver. */
    psSteps: (driverId: string) => `quiver.${cluster}.driver.${driverId}.ps`,
    /** Parameter-server training: partitions and shard checkpoints a driver serves (chunked). */
    psBlobs: (driverId: string) => `quiver.${cluster}.driver.${driverId}.psblobs`,
  };
};

const Id = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'ids are 1-64 characters of [A-Za-z0-9_-]'));
const ExecId = v.pipe(v.string(), v.regex(EXECUTOR_ID, 'executor ids are a name of 1-40 characters of [A-Za-z0-9_-], a dash and 8 hex digits'));
const Base = { v: v.literal(PROTOCOL_VERSION), executorId: ExecId };
/** 32 random bytes in hex: an attempt's secret, or a driver's goodbye / job secret. */
const Secret = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'a secret is 64 hex digits'));
/** A SHA-256 digest in hex. */
const Sha256 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'a SHA-256 digest is 64 hex digits'));
/** An executor's block server (direct transfer over TCP): where, and the token a connection opens with. */
const BlockEndpoint = v.object({
  host: v.pipe(v.string(), v.minLength(1), v.maxLength(255)),
  port: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535)),
  token: Secret,
});
/** Most directories an executor may declare. */
export const MAX_PATHS = 64;

export const RegisterMsg = v.object({
  ...Base,
  kind: v.literal('register'),
  name: v.pipe(v.string(), v.maxLength(128)),
  host: v.pipe(v.string(), v.maxLength(255)),
  pid: v.pipe(v.number(), v.integer()),
  workers: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1024)),
  gpu: v.nullable(v.pipe(v.string(), v.maxLength(255))),
  /** Directories this executor reads (--paths; absolute, never the root): the only files its tasks may read. */
  paths: v.pipe(v.array(v.pipe(v.string(), v.maxLength(4096), v.regex(/^\/./, 'declared paths are absolute directories, never the root'))), v.maxLength(MAX_PATHS)),
  /** Its block server; absent when it serves blocks over NATS only (--block-transfer nats, or TLS). */
  blocks: v.optional(BlockEndpoint),
});

export const HeartbeatMsg = v.object({
  ...Base,
  kind: v.literal('heartbeat'),
  /** Tasks running now, and the executor's worker slots. */
  running: v.pipe(v.number(), v.integer(), v.minValue(0)),
  rssBytes: v.pipe(v.number(), v.minValue(0)),
  /** Bytes of shuffle blocks its store holds in memory. */
  storeBytes: v.optional(v.pipe(v.number(), v.minValue(0))),
  /** Draining: finishing running tasks, taking no new ones. */
  draining: v.boolean(),
});

export const LeaveMsg = v.object({ ...Base, kind: v.literal('leave'), reason: v.pipe(v.string(), v.maxLength(1024)) });

export const ControlMsg = v.variant('kind', [RegisterMsg, HeartbeatMsg, LeaveMsg]);

const Count = v.pipe(v.number(), v.integer(), v.minValue(0));
/** Map outputs a task reads, by the executor holding them: executor id -> [[map partition, attempt], ...]. */
const Locations = v.record(ExecId, v.array(v.tuple([Count, Count])));

/** Driver -> executor: run one task attempt. Plans are fetched by key from the driver (and cached). */
export const TaskRequest = v.object({
  v: v.literal(PROTOCOL_VERSION),
  kind: v.literal('task'),
  driverId: Id,
  jobId: Count,
  stageId: Count,
  /** Key of the stage's JSON on the driver's block subject. */
  stageKey: Id,
  /** SHA-256 of that JSON: a plan served by anyone else on the driver's subject is refused. */
  stageSha256: Sha256,
  /** The stage's JSON itself, in an executor's first task of the stage (it need not fetch it then); it too must hash to stageSha256. */
  stageJson: v.optional(v.pipe(v.string(), v.maxLength(MAX_INLINE_PLAN_BYTES))),
  /**
   * Known only to the driver and the executor this attempt is sent to (its task subject is
   * readable by that executor alone under least-privilege permissions): the result must carry
   * it, so a peer cannot forge the attempt's result.
   */
  secret: Secret,
  /** SHA-256 of the secret the driver reveals in this job's jobDone: a forged one is ignored. (A goodbye proves itself: see driverIdOf.) */
  jobHash: Sha256,
  partition: Count,
  attempt: Count,
  memoryBudget: v.pipe(v.number(), v.minValue(0)),
  batchSize: v.pipe(v.number(), v.integer(), v.minValue(1)),
  /**
   * Shuffle inputs by shuffle id: the map stage that wrote them and, for each reduce partition
   * the task reads (one, or the range the driver coalesced into the task), where each map output
   * holding rows of it lies; `cache`: a cached DataFrame's partitions, kept under that cache's keys rather than the job's.
   */
  shuffle: v.record(v.pipe(v.string(), v.regex(/^\d+$/)), v.object({ stage: Count, parts: v.pipe(v.array(v.object({ reduce: Count, from: Locations })), v.maxLength(1 << 16)), cache: v.optional(Id) })),
  /** Broadcast inputs by broadcast id, likewise. */
  broadcast: v.record(v.pipe(v.string(), v.regex(/^\d+$/)), v.object({ stage: Count, from: Locations })),
  /** Block servers of the executors holding this task's inputs (those that announced one): fetched over TCP, NATS the fallback. */
  peers: v.optional(v.record(ExecId, BlockEndpoint)),
  /** In-memory table partitions, fetched from the driver by key, with the SHA-256 of each one's bytes. */
  resources: v.array(v.pipe(v.string(), v.maxLength(256))),
  resourceSha256: v.record(v.pipe(v.string(), v.maxLength(256)), Sha256),
  /**
   * A cache stage's task: its output is kept under cache `id`'s key past jobDone, until the driver
   * unpersists it revealing a secret that hashes to `hash` (or is gone).
   */
  cache: v.optional(v.object({ id: Id, hash: Sha256 })),
});
export type TaskRequest = v.InferOutput<typeof TaskRequest>;

/** Executor -> driver: how a task attempt ended. Output blocks stay on the executor until fetched or the job ends. */
export const TaskResultMsg = v.object({
  v: v.literal(PROTOCOL_VERSION),
  kind: v.literal('result'),
  executorId: ExecId,
  /** The attempt's secret from its task request. */
  secret: Secret,
  jobId: Count,
  stageId: Count,
  partition: Count,
  attempt: Count,
  ok: v.boolean(),
  error: v.optional(v.object({ code: v.string(), name: v.string(), message: v.string(), file: v.optional(v.string()), line: v.optional(v.number()), retryable: v.optional(v.boolean()) })),
  /** The executor dropped this attempt's output (it had forgotten the driver after a silence): run it again, not a failure of the task. */
  dropped: v.optional(v.pipe(v.string(), v.maxLength(4096))),
  /** An input could not be fetched: the map output to recompute (the task itself did not fail). */
  fetchFailed: v.optional(v.object({ stage: Count, map: Count, executor: ExecId, reason: v.string() })),
  rows: Count,
  durationMs: v.pipe(v.number(), v.minValue(0)),
  metrics: v.record(v.string(), v.number()),
  /** Rows of each output block (one per reduce partition for a shuffle; one otherwise). */
  outputRows: v.array(Count),
  /** Bytes of the output blocks. */
  outputBytes: v.optional(v.pipe(v.number(), v.minValue(0))),
  /** Bytes of each output block, as outputRows (the driver coalesces small reduce partitions by them). */
  outputBlockBytes: v.optional(v.array(Count)),
});
export type TaskResultMsg = v.InferOutput<typeof TaskResultMsg>;

/** Driver -> all executors: a heartbeat, a finished job (drop its blocks), or goodbye (drop everything of this driver). */
export const DriverNews = v.variant('kind', [
  v.object({ v: v.literal(PROTOCOL_VERSION), kind: v.literal('alive'), driverId: Id }),
  /** `secret` is the job's: executors drop its blocks only when it hashes to the jobHash its tasks carried. */
  v.object({ v: v.literal(PROTOCOL_VERSION), kind: v.literal('jobDone'), driverId: Id, jobId: Count, secret: Secret }),
  /** `secret` hashes to the byeHash of the driver's tasks: only the driver itself can say goodbye for it. */
  v.object({ v: v.literal(PROTOCOL_VERSION), kind: v.literal('bye'), driverId: Id, secret: Secret }),
  /** df.unpersist(): drop cache `cacheId`'s blocks; `secret` hashes to the `cache.hash` its tasks carried. */
  v.object({ v: v.literal(PROTOCOL_VERSION), kind: v.literal('unpersist'), driverId: Id, cacheId: Id, secret: Secret }),
]);
export type DriverNews = v.InferOutput<typeof DriverNews>;

/** Largest task request or result: locations of many map outputs can exceed a control message. */
export const MAX_TASK_BYTES = 768 * 1024;

/** Decodes a message against `schema` after the common checks; never throws. */
export function decodeWith<S extends v.GenericSchema>(schema: S, data: Uint8Array, maxBytes = MAX_CONTROL_BYTES): { ok: true; msg: v.InferOutput<S> } | { ok: false; reason: string } {
  const pre = parseJson(data, maxBytes);
  return pre.ok ? checkMessage(schema, pre.json) : pre;
}

/** Checks parsed JSON: the protocol version, then `schema`; never throws. */
export function checkMessage<S extends v.GenericSchema>(schema: S, json: unknown): { ok: true; msg: v.InferOutput<S> } | { ok: false; reason: string } {
  if (typeof json === 'object' && json !== null && 'v' in json && (json as { v: unknown }).v !== PROTOCOL_VERSION) {
    return { ok: false, reason: `protocol version ${JSON.stringify((json as { v: unknown }).v)}, this process speaks ${PROTOCOL_VERSION}` };
  }
  const r = v.safeParse(schema, json);
  if (!r.success) return { ok: false, reason: `invalid: ${r.issues.map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`).join('; ')}` };
  return { ok: true, msg: r.output };
}

/** Driver -> one executor, request/reply on its control subject. */
export const DrainRequest = v.object({ v: v.literal(PROTOCOL_VERSION), kind: v.literal('drain'), reason: v.pipe(v.string(), v.maxLength(1024)) });
/** Are you there? (A driver asks when a peer could not reach this executor.) */
export const PingRequest = v.object({ v: v.literal(PROTOCOL_VERSION), kind: v.literal('ping') });
export const ControlRequest = v.variant('kind', [DrainRequest, PingRequest]);
export type ControlRequest = v.InferOutput<typeof ControlRequest>;
/** The reply to a control request. */
export type ControlReply = { ok: true; draining: boolean; running: number } | { ok: false; error: string };

/** decodeControl for requests: the same size, JSON and version checks, then the request schema. */
export function decodeRequest(data: Uint8Array): { ok: true; req: ControlRequest } | { ok: false; reason: string } {
  const d = decodeWith(ControlRequest, data);
  return d.ok ? { ok: true, req: d.msg } : d;
}
export type ControlMsg = v.InferOutput<typeof ControlMsg>;
export type RegisterMsg = v.InferOutput<typeof RegisterMsg>;
export type HeartbeatMsg = v.InferOutput<typeof HeartbeatMsg>;

export type Decoded = { ok: true; msg: ControlMsg } | { ok: false; reason: string };

/**
 * Decodes a control message: size first, then JSON, then the version, then the schema. Never
 * throws: a peer's malformed message must not crash the process that receives it.
 */
export function decodeControl(data: Uint8Array): Decoded {
  return decodeWith(ControlMsg, data);
}

/** Size and UTF-8 JSON: the checks every message passes before its version and schema. */
function parseJson(data: Uint8Array, maxBytes: number): { ok: true; json: unknown } | { ok: false; reason: string } {
  if (data.length > maxBytes) return { ok: false, reason: `oversized: ${data.length} bytes, the limit is ${maxBytes}` };
  try {
    return { ok: true, json: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data)) };
  } catch (e) {
    return { ok: false, reason: `not UTF-8 JSON: ${(e as Error).message}` };
  }
}

export function encodeControl(msg: ControlMsg): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(msg));
}
