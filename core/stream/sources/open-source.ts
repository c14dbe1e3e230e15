// openSource: the Source a StreamScan's spec names, opened for one run of a query.
import { assertNever } from '../../../ops/errors.ts';
import type { StreamSourceSpec } from '../../plan/stream-scan.ts';
import type { FieldJSON } from '../../../ops/types.ts';
import type { Source, SourceContext } from '../source.ts';
import { FileSource, type FileStreamOptions } from './file-source.ts';
import { RateSource, type RateOptions } from './rate-source.ts';
import { JetStreamSource, type JetStreamOptions } from './jetstream-source.ts';

export async function openSource(spec: StreamSourceSpec, schema: readonly FieldJSON[], ctx: SourceContext): Promise<Source> {
  switch (spec.format) {
    case 'rate': return new RateSource(spec.options as RateOptions, ctx);
    case 'files': {
      const { path, ...options } = spec.options as FileStreamOptions & { path: string };
      return FileSource.open(path, options.format, schema, options, ctx);
    }
    case 'jetstream': return JetStreamSource.open(spec.options as unknown as JetStreamOptions, schema, ctx);
    default: return assertNever(spec.format, 'stream source format');
  }
}
