// Public error classes (defined in ops/errors.ts so that operators can raise them too).
export {
  QuiverError, PlanError, DataError, ResourceError, TransportError, InternalError,
  assertNever, errorToJSON, errorFromJSON, isRetryable,
} from '../ops/errors.ts';
export type { ErrorCode, ErrorJSON, DataLocation } from '../ops/errors.ts';
