// The accumulator for each aggregate function and argument type.
import { assertNever, InternalError } from '../errors.ts';
import { KeyKind, keyKindOf } from '../compute/hash.ts';
import { toArrowType } from '../types.ts';
import type { Accumulator } from './accumulator.ts';
import type { AggSpec } from './agg-spec.ts';
import { CollectListAccumulator } from './collect-list.ts';
import { CollectSetAccumulator } from './collect-set.ts';
import { CountDistinctAccumulator } from './count-distinct.ts';
import { FirstLastAccumulator } from './first-last.ts';
import { MinMaxBytesAccumulator, MinMaxInt64Accumulator } from './min-max.ts';
import { AvgAccumulator, CountAccumulator, MinMaxNumberAccumulator, NullAccumulator, SumAccumulator } from './numeric.ts';
import { PercentileApproxAccumulator } from './percentile-approx.ts';
import { SingleValueAccumulator } from './single-value.ts';
import { SumDistinctAccumulator } from './sum-distinct.ts';
import { UdafAccumulator } from './udaf.ts';
import { VarianceAccumulator } from './variance.ts';

export function makeAccumulator(spec: AggSpec): Accumulator {
  switch (spec.fn) {
    case 'count': return new CountAccumulator(false);
    case 'countStar': return new CountAccumulator(true);
    case 'sum': return new SumAccumulator(spec.out.type);
    case 'avg': return new AvgAccumulator();
    case 'min': case 'max': {
      const t = spec.argType!;
      const isMax = spec.fn === 'max';
      if (t === 'null') return new NullAccumulator();
      switch (keyKindOf(toArrowType(t))) {
        case KeyKind.Number: case KeyKind.Bool: return new MinMaxNumberAccumulator(isMax, t);
        case KeyKind.Int64: case KeyKind.Uint64: return new MinMaxInt64Accumulator(isMax, t);
        case KeyKind.Bytes: return new MinMaxBytesAccumulator(isMax, t);
        case KeyKind.Null: return new NullAccumulator();
      }
      return assertNever(keyKindOf(toArrowType(t)) as never, 'min/max key kind');
    }
    case 'first': case 'last': return new FirstLastAccumulator(spec.fn === 'first', spec.argType!);
    case 'singleValue': return new SingleValueAccumulator(spec.argType!);
    case 'countDistinct': return new CountDistinctAccumulator(spec.argType!);
    case 'collectSet': return new CollectSetAccumulator(spec.argType!);
    case 'sumDistinct': case 'avgDistinct': return new SumDistinctAccumulator(spec.argType!, spec.out.type, spec.fn === 'avgDistinct');
    case 'collectList': return new CollectListAccumulator(spec.argType!);
    case 'varSamp': case 'varPop': case 'stddevSamp': case 'stddevPop': return new VarianceAccumulator(spec.fn);
    case 'percentileApprox': {
      if (!spec.params) throw new InternalError(`${spec.name}: percentileApprox without its parameters`);
      return new PercentileApproxAccumulator(spec.argType!, spec.params);
    }
    case 'udaf': {
      if (!spec.udaf) throw new InternalError(`${spec.name}: a udaf aggregate without its UDAF`);
      return new UdafAccumulator(spec.udaf);
    }
    default: return assertNever(spec.fn, 'aggregate function');
  }
}
