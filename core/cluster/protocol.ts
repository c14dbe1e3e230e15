// Cluster control protocol: small JSON messages on subjects under a cluster prefix, validated by schema; anything else is rejected, never thrown.
import * as v from 'valibot';

/** Protocol version every message carries; a peer speaking another is rejected. */
export const PROTOCOL_VERSION = 1;
/** Control messages larger than this are rejected unread (data never travels as control messages). */
export const MAX_CONTROL_BYTES = 64 * 1024;

/** Subjects, all under `quiver.<cluster>.`. */
export const subjects = (cluster: string) => ({
  register: `quiver.${cluster}.exec.register`,
  heartbeat: `quiver.${cluster}.exec.heartbeat`,
  leave: `quiver.${cluster}.exec.leave`,
  /** Everything executors announce (for a driver's subscription). */
  announcements: `quiver.${cluster}.exec.*`,
  /** A driver asking every executor to register (again): on start, and on a heartbeat from one it does not know. */
  hello: `quiver.${cluster}.driver.hello`,
  /** Requests to one executor. */
  control: (executorId: string) => `quiver.${cluster}.exec.${executorId}.control`,
});

const Id = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'ids are 1-64 characters of [A-Za-z0-9_-]'));
const Base = { v: v.literal(PROTOCOL_VERSION), executorId: Id };

export const RegisterMsg = v.object({
  ...Base,
  kind: v.literal('register'),
  name: v.pipe(v.string(), v.maxLength(128)),
  host: v.pipe(v.string(), v.maxLength(255)),
  pid: v.pipe(v.number(), v.integer()),
  workers: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1024)),
  gpu: v.nullable(v.pipe(v.string(), v.maxLength(255))),
  /** Path prefixes this executor can read (locality). */
  paths: v.array(v.pipe(v.string(), v.maxLength(4096))),
});

export const HeartbeatMsg = v.object({
  ...Base,
  kind: v.literal('heartbeat'),
  /** Tasks running now, and the executor's worker slots. */
  running: v.pipe(v.number(), v.integer(), v.minValue(0)),
  rssBytes: v.pipe(v.number(), v.minValue(0)),
  /** Draining: finishing running tasks, taking no new ones. */
  draining: v.boolean(),
});

export const LeaveMsg = v.object({ ...Base, kind: v.literal('leave'), reason: v.pipe(v.string(), v.maxLength(1024)) });

export const ControlMsg = v.variant('kind', [RegisterMsg, HeartbeatMsg, LeaveMsg]);

/** Driver -> one executor, request/reply on its control subject. */
export const DrainRequest = v.object({ v: v.literal(PROTOCOL_VERSION), kind: v.literal('drain'), reason: v.pipe(v.string(), v.maxLength(1024)) });
export const ControlRequest = v.variant('kind', [DrainRequest]);
export type ControlRequest = v.InferOutput<typeof ControlRequest>;
/** The reply to a control request. */
export type ControlReply = { ok: true; draining: boolean; running: number } | { ok: false; error: string };

/** decodeControl for requests: the same size, JSON and version checks, then the request schema. */
export function decodeRequest(data: Uint8Array): { ok: true; req: ControlRequest } | { ok: false; reason: string } {
  const pre = precheck(data);
  if (!pre.ok) return pre;
  const r = v.safeParse(ControlRequest, pre.json);
  if (!r.success) return { ok: false, reason: `invalid: ${r.issues.map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`).join('; ')}` };
  return { ok: true, req: r.output };
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
  const pre = precheck(data);
  if (!pre.ok) return pre;
  const r = v.safeParse(ControlMsg, pre.json);
  if (!r.success) return { ok: false, reason: `invalid: ${r.issues.map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`).join('; ')}` };
  return { ok: true, msg: r.output };
}

/** Size, UTF-8 JSON and protocol version: the checks every message passes before its schema. */
function precheck(data: Uint8Array): { ok: true; json: unknown } | { ok: false; reason: string } {
  if (data.length > MAX_CONTROL_BYTES) return { ok: false, reason: `oversized: ${data.length} bytes, the limit is ${MAX_CONTROL_BYTES}` };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch (e) {
    return { ok: false, reason: `not UTF-8 JSON: ${(e as Error).message}` };
  }
  if (typeof json === 'object' && json !== null && 'v' in json && (json as { v: unknown }).v !== PROTOCOL_VERSION) {
    return { ok: false, reason: `protocol version ${JSON.stringify((json as { v: unknown }).v)}, this process speaks ${PROTOCOL_VERSION}` };
  }
  return { ok: true, json };
}

export function encodeControl(msg: ControlMsg): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(msg));
}
