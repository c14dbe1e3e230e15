// StreamScan: the leaf of a streaming DataFrame (q.readStream); each micro-batch replaces it with that batch's rows.
import type { FieldJSON } from '../../ops/types.ts';

export type StreamFormat = 'rate' | 'files' | 'jetstream';

/** How to open the source again in any process: JSON only (plans cross the network and the checkpoint names them). */
export interface StreamSourceSpec {
  readonly format: StreamFormat;
  readonly options: Readonly<Record<string, unknown>>;
}

export interface StreamScan {
  readonly kind: 'streamScan';
  /**
   * Unique within the session: a micro-batch substitutes each StreamScan by id. A plan holding a
   * StreamScan MUST NOT reach the physical planner (it has no rows of its own): run it with
   * df.writeStream...start(), which plans one batch at a time.
   */
  readonly id: string;
  readonly source: StreamSourceSpec;
  readonly schema: readonly FieldJSON[];
}

export function streamScan(id: string, source: StreamSourceSpec, schema: readonly FieldJSON[]): StreamScan {
  return Object.freeze({ kind: 'streamScan', id, source, schema });
}
