// Error classes every layer throws; core/errors.ts re-exports them as the public surface.
// They live here (ops/) because imports go one way, core -> ops -> gpu-kernels, and both
// core and ops raise them.

export type ErrorCode =
  | 'PLAN_ERROR'
  | 'DATA_ERROR'
  | 'RESOURCE_ERROR'
  | 'TRANSPORT_ERROR'
  | 'INTERNAL_ERROR';

/** Base of every error a user can see. `code` is stable and crosses processes; never match on text. */
export class QuiverError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A mistake in how the dataflow was written: unknown column, wrong type, bad argument. */
export class PlanError extends QuiverError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PLAN_ERROR', message, options);
  }
}

/** Where a bad record was found. `line` is 1-based and counts a header line. */
export interface DataLocation {
  file?: string;
  line?: number;
  column?: string | number;
  offset?: number;
}

/**
 * Bad input data: the message names file, line and column and what was expected. `reason` is
 * what is wrong without the location or the fix, for a caller that restates where in its own
 * terms (a streaming source names the message a staged line came from).
 */
export class DataError extends QuiverError {
  readonly location: DataLocation;
  readonly reason: string;
  /** `fix`: how to get past it, appended to the message after '; '. */
  constructor(message: string, location: DataLocation = {}, options?: { cause?: unknown; fix?: string }) {
    super('DATA_ERROR', DataError.format(options?.fix ? `${message}; ${options.fix}` : message, location), options);
    this.location = location;
    this.reason = message;
  }
  static format(message: string, loc: DataLocation): string {
    const where: string[] = [];
    if (loc.file !== undefined) where.push(loc.file);
    if (loc.line !== undefined) where.push(`line ${loc.line}`);
    if (loc.column !== undefined) where.push(`column ${typeof loc.column === 'number' ? loc.column : `'${loc.column}'`}`);
    if (loc.offset !== undefined) where.push(`offset ${loc.offset}`);
    return where.length ? `${where.join(', ')}: ${message}` : message;
  }
}

/** Out of memory budget, disk, GPU or worker resources. */
export class ResourceError extends QuiverError {
  /**
   * False when another attempt would fail the same way (a join build side over memoryBudget):
   * the task is then not retried. Unset means a retry may help (a lost worker, a full disk).
   */
  readonly retryable?: boolean;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super('RESOURCE_ERROR', message, options);
    if (options?.retryable !== undefined) this.retryable = options.retryable;
  }
}

/** Network / NATS failures. */
export class TransportError extends QuiverError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TRANSPORT_ERROR', message, options);
  }
}

/** An invariant was violated: this is a bug in Quiver, not in the user's code. */
export class InternalError extends QuiverError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INTERNAL_ERROR', `invariant violated: ${message} (this is a bug in Quiver; please report it)`, options);
  }
}

/** Exhaustiveness check for `switch` over closed unions. */
export function assertNever(x: never, what = 'value'): never {
  throw new InternalError(`unexpected ${what}: ${JSON.stringify(x)}`);
}

/** Serializable form of an error, for crossing worker threads and processes. */
export interface ErrorJSON {
  code: ErrorCode;
  name: string;
  message: string;
  location?: DataLocation;
  /** DataError: its reason without location and fix. */
  reason?: string;
  stack?: string;
  /** Present when the error said whether a retry can help (see isRetryable). */
  retryable?: boolean;
}

/**
 * Whether another attempt of the task could succeed: never for the user's plan or data
 * (PLAN_ERROR, DATA_ERROR) nor for an error marked `retryable: false`; otherwise yes.
 * Schedulers MUST use this instead of their own lists of codes, or local and cluster runs
 * retry differently.
 */
export function isRetryable(e: { code: string; retryable?: boolean }): boolean {
  if (e.code === 'PLAN_ERROR' || e.code === 'DATA_ERROR') return false;
  return e.retryable !== false;
}

export function errorToJSON(e: unknown): ErrorJSON {
  if (e instanceof QuiverError) {
    const out: ErrorJSON = { code: e.code, name: e.name, message: e.message, stack: e.stack };
    if (e instanceof DataError) { out.location = e.location; out.reason = e.reason; }
    const retryable = (e as { retryable?: unknown }).retryable;
    if (typeof retryable === 'boolean') out.retryable = retryable;
    return out;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return { code: 'INTERNAL_ERROR', name: err.name, message: err.message, stack: err.stack };
}

/** Rebuilds the error class from its code; the message is kept verbatim. */
export function errorFromJSON(j: ErrorJSON): QuiverError {
  let e: QuiverError;
  switch (j.code) {
    case 'PLAN_ERROR': e = new PlanError(j.message); break;
    case 'DATA_ERROR': e = Object.assign(new QuiverError('DATA_ERROR', j.message), { location: j.location ?? {}, reason: j.reason ?? j.message }); Object.setPrototypeOf(e, DataError.prototype); break;
    case 'RESOURCE_ERROR': e = new ResourceError(j.message, typeof j.retryable === 'boolean' ? { retryable: j.retryable } : {}); break;
    case 'TRANSPORT_ERROR': e = new TransportError(j.message); break;
    case 'INTERNAL_ERROR': e = new QuiverError('INTERNAL_ERROR', j.message); Object.setPrototypeOf(e, InternalError.prototype); break;
    default: e = new QuiverError('INTERNAL_ERROR', j.message);
  }
  e.name = j.name;
  if (j.stack) e.stack = j.stack;
  return e;
}
