// The schema of a stage plan as it crosses the network: executors validate every stage they fetch against it before anything else reads it.
import * as v from 'valibot';
import { NESTED_FNS, PATTERN_AND_DATE_FNS, type ExprNode } from '../../ops/expr/node.ts';
import { WINDOW_FNS } from '../../ops/expr/window-spec.ts';
import type { TypeJSON } from '../../ops/types.ts';
import type { PhysNode, Stage } from '../physical/phys-node.ts';

/** Deepest expression or operator nesting a stage may have (a deeper one is refused, not recursed into). */
export const MAX_PLAN_DEPTH = 200;

const Name = v.pipe(v.string(), v.maxLength(4096));
const Count = v.pipe(v.number(), v.integer(), v.minValue(0));
const Primitive = v.picklist(['null', 'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float32', 'float64', 'utf8', 'binary', 'date32', 'timestamp_ms']);

const TypeSchema: v.GenericSchema<TypeJSON> = v.union([
  Primitive,
  v.strictObject({ list: v.lazy(() => TypeSchema) }),
  v.strictObject({ fixedList: v.lazy(() => TypeSchema), size: v.pipe(Count, v.minValue(1), v.maxValue(1 << 24)) }),
  v.strictObject({ struct: v.array(v.strictObject({ name: Name, type: v.lazy(() => TypeSchema), nullable: v.boolean() })) }),
  v.strictObject({ map: v.strictObject({ key: v.lazy(() => TypeSchema), value: v.lazy(() => TypeSchema) }) }),
]);

const Field = v.strictObject({ name: Name, type: TypeSchema, nullable: v.boolean(), qualifier: v.optional(Name) });
const Fields = v.array(Field);

const FrameBound = v.union([v.literal('unbounded'), v.pipe(v.number(), v.finite())]);

const Expr: v.GenericSchema<ExprNode> = v.variant('kind', [
  v.strictObject({ kind: v.literal('column'), name: Name }),
  v.strictObject({ kind: v.literal('literal'), value: v.union([v.null(), v.boolean(), v.number(), v.pipe(v.string(), v.maxLength(1 << 20))]), type: TypeSchema }),
  v.strictObject({ kind: v.literal('binary'), op: v.picklist(['add', 'sub', 'mul', 'div', 'mod', 'eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'and', 'or']), left: v.lazy(() => Expr), right: v.lazy(() => Expr) }),
  v.strictObject({ kind: v.literal('unary'), op: v.picklist(['not', 'negate', 'isNull', 'isNotNull']), arg: v.lazy(() => Expr) }),
  v.strictObject({ kind: v.literal('cast'), arg: v.lazy(() => Expr), to: TypeSchema }),
  v.strictObject({ kind: v.literal('alias'), arg: v.lazy(() => Expr), name: Name }),
  v.strictObject({
    kind: v.literal('call'),
    fn: v.picklist(['split', 'at', 'substr', 'lower', 'upper', 'length', 'startsWith', 'endsWith', 'contains', 'regexpExtract', 'concat', 'trim', 'sequence', 'coalesce', 'abs', 'round', 'floor', 'ceil', 'sqrt', 'exp', 'ln',
      ...PATTERN_AND_DATE_FNS, ...NESTED_FNS]),
    args: v.array(v.lazy(() => Expr)),
  }),
  v.strictObject({ kind: v.literal('case'), branches: v.array(v.strictObject({ when: v.lazy(() => Expr), then: v.lazy(() => Expr) })), otherwise: v.nullable(v.lazy(() => Expr)) }),
  v.strictObject({ kind: v.literal('sort'), arg: v.lazy(() => Expr), ascending: v.boolean(), nullsFirst: v.boolean() }),
  v.strictObject({
    kind: v.literal('agg'),
    fn: v.picklist(['count', 'countStar', 'sum', 'avg', 'min', 'max', 'countDistinct', 'first', 'last', 'stddevSamp', 'stddevPop', 'varSamp', 'varPop', 'collectList', 'collectSet', 'percentileApprox', 'sumDistinct', 'avgDistinct', 'udaf', 'singleValue']),
    arg: v.nullable(v.lazy(() => Expr)),
    params: v.optional(v.strictObject({ percentage: v.union([v.number(), v.pipe(v.array(v.number()), v.maxLength(1 << 16))]), accuracy: v.number() })),
    udaf: v.optional(v.strictObject({ udf: v.lazy(() => Udf), returnType: TypeSchema, stateType: v.optional(TypeSchema) })),
  }),
  v.strictObject({ kind: v.literal('udf'), udf: v.lazy(() => Udf), args: v.array(v.lazy(() => Expr)), returnType: TypeSchema }),
  v.strictObject({ kind: v.literal('windowFn'), fn: v.picklist(WINDOW_FNS), args: v.pipe(v.array(v.lazy(() => Expr)), v.maxLength(3)) }),
  v.strictObject({
    kind: v.literal('over'), arg: v.lazy(() => Expr),
    spec: v.strictObject({ partitionBy: v.array(v.lazy(() => Expr)), orderBy: v.array(v.lazy(() => Expr)), frame: v.nullable(v.strictObject({ unit: v.picklist(['rows', 'range', 'groups']), start: FrameBound, end: FrameBound })) }),
  }),
]) as v.GenericSchema<ExprNode>;

/** JSON values only (reader options, UDF options): no functions, no undefined. */
const Json: v.GenericSchema<unknown> = v.union([v.null(), v.boolean(), v.number(), v.string(), v.array(v.lazy(() => Json)), v.record(v.string(), v.lazy(() => Json))]);
const Options = v.record(v.string(), Json);

/** A split: the file it reads and its range; readers add their own JSON fields (firstLine, rowGroups, pair, ...). Fields naming files are typed here: the plan guard checks each. */
const Hex64 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/));
const Split = v.looseObject({
  path: Name, start: Count, end: Count, pair: v.optional(Name), sha256: v.optional(Hex64), pairSha256: v.optional(Hex64),
  // images: the whole files of the split.
  files: v.optional(v.pipe(v.array(Name), v.minLength(1), v.maxLength(1 << 16))),
});

/** A cached DataFrame's id: part of the executor's block keys, so a subject-safe token. */
const CacheId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/));

const Udf = v.strictObject({ module: v.pipe(v.string(), v.minLength(1), v.maxLength(4096)), export: v.pipe(v.string(), v.minLength(1), v.maxLength(256)) });
/** What predict needs to find and verify its model; fields added by newer model formats pass through. */
const PredictSpec = v.looseObject({
  modelPath: Name, modelName: v.pipe(v.string(), v.maxLength(1024)), modelSha256: Hex64, modelJsonSha256: Hex64,
  inputCol: Name, device: v.picklist(['auto', 'cpu', 'gpu']), batchSize: v.pipe(Count, v.minValue(1)), topK: Count, numClasses: v.pipe(Count, v.minValue(1)),
  // Extra graph outputs: each a column of that many float32 values per row (the bound of a fixed list's size).
  outputs: v.optional(v.array(v.strictObject({ name: v.pipe(Name, v.minLength(1)), size: v.pipe(Count, v.minValue(1), v.maxValue(1 << 24)) }))),
  // A binary input column's images, decoded to this size (at most 2^24 values per image, as q.read.images allows).
  decode: v.optional(v.pipe(
    v.strictObject({ height: v.pipe(Count, v.minValue(1)), width: v.pipe(Count, v.minValue(1)), channels: v.picklist([1, 3]), fit: v.picklist(['cover', 'contain', 'fill']) }),
    v.check((d) => d.height * d.width * d.channels <= 1 << 24, 'a decoded image has at most 2^24 values'),
  )),
});

const Node: v.GenericSchema<PhysNode> = v.variant('op', [
  v.strictObject({
    op: v.literal('scan'), format: v.picklist(['text', 'csv', 'json', 'arrow', 'parquet', 'idx', 'images']), splits: v.array(Split), options: Options,
    fileSchema: Fields, projection: v.nullable(v.array(Name)), filters: v.array(Expr), limit: v.nullable(Count),
  }),
  v.strictObject({ op: v.literal('values'), id: v.pipe(v.string(), v.maxLength(256)), partitions: Count, fields: Fields }),
  v.strictObject({ op: v.literal('filter'), predicate: Expr, child: v.lazy(() => Node) }),
  v.strictObject({ op: v.literal('project'), exprs: v.array(Expr), child: v.lazy(() => Node) }),
  v.strictObject({ op: v.literal('aggregate'), mode: v.picklist(['partial', 'final', 'single']), groupBy: v.array(Expr), aggs: v.array(Expr), child: v.lazy(() => Node) }),
  v.strictObject({
    op: v.literal('hashJoin'), how: v.picklist(['inner', 'left', 'right', 'full', 'semi', 'anti']), leftKeys: v.array(Expr), rightKeys: v.array(Expr),
    using: v.boolean(), buildSide: v.picklist(['left', 'right']), broadcast: v.boolean(), outputFields: Fields, filter: v.optional(Expr), filterFields: v.optional(Fields),
    adaptive: v.optional(v.literal(true)), left: v.lazy(() => Node), right: v.lazy(() => Node),
  }),
  v.strictObject({
    op: v.literal('nestedLoopJoin'), how: v.picklist(['inner', 'left', 'right', 'full', 'semi', 'anti']), buildSide: v.picklist(['left', 'right']), broadcast: v.boolean(),
    outputFields: Fields, filter: v.optional(Expr), filterFields: Fields, left: v.lazy(() => Node), right: v.lazy(() => Node),
  }),
  v.strictObject({ op: v.literal('sort'), keys: v.array(Expr), fetch: v.nullable(Count), child: v.lazy(() => Node) }),
  v.strictObject({ op: v.literal('window'), partitionBy: v.array(Expr), orderBy: v.array(Expr), exprs: v.array(Expr), child: v.lazy(() => Node) }),
  v.strictObject({ op: v.literal('sample'), keys: v.array(Expr), rows: v.pipe(Count, v.minValue(1)), child: v.lazy(() => Node) }),
  v.strictObject({ op: v.literal('rangePartition'), keys: v.array(Expr), partitions: v.pipe(Count, v.minValue(1)), sample: v.lazy(() => Node), child: v.lazy(() => Node) }),
  v.strictObject({ op: v.literal('limit'), n: Count, offset: Count, child: v.lazy(() => Node) }),
  v.strictObject({ op: v.literal('randomSample'), fraction: v.pipe(v.number(), v.minValue(0), v.maxValue(64)), withReplacement: v.boolean(), seed: v.pipe(v.number(), v.safeInteger()), child: v.lazy(() => Node) }),
  v.strictObject({ op: v.literal('generate'), arg: Expr, outer: v.boolean(), posName: v.nullable(Name), colName: Name, valueName: v.nullable(Name), child: v.lazy(() => Node) }),
  v.strictObject({ op: v.literal('union'), partitionCounts: v.array(Count), children: v.array(v.lazy(() => Node)) }),
  v.strictObject({ op: v.literal('mapBatches'), udf: Udf, fields: Fields, options: Options, child: v.lazy(() => Node) }),
  v.strictObject({ op: v.literal('predict'), spec: PredictSpec, device: v.picklist(['cpu', 'gpu']), backend: v.picklist(['wasm', 'onnxruntime', 'webgpu']), reason: v.pipe(v.string(), v.maxLength(4096)), fields: Fields, child: v.lazy(() => Node) }),
  v.strictObject({ op: v.literal('shuffleRead'), shuffleId: Count, fields: Fields, whole: v.optional(v.literal(true)) }),
  v.strictObject({ op: v.literal('broadcast'), id: Count, fields: Fields }),
  v.strictObject({ op: v.literal('cacheRead'), cacheId: CacheId, shuffleId: Count, fields: Fields }),
  v.strictObject({
    op: v.literal('write'), format: v.picklist(['arrow', 'parquet', 'csv', 'json']), path: Name, jobToken: v.pipe(v.string(), v.regex(/^[0-9a-f]{8,64}$/)),
    partitionBy: v.array(Name), options: Options, maxRowsPerFile: v.nullable(v.pipe(Count, v.minValue(1))), child: v.lazy(() => Node),
  }),
]) as v.GenericSchema<PhysNode>;

const StageSchema = v.strictObject({
  id: Count,
  root: Node,
  partitions: Count,
  output: v.variant('kind', [
    v.strictObject({ kind: v.literal('shuffle'), shuffleId: Count, keys: v.array(Expr), partitions: v.pipe(Count, v.minValue(1)), range: v.optional(v.literal(true)), fixed: v.optional(v.literal(true)) }),
    v.strictObject({ kind: v.literal('broadcast'), id: Count }),
    v.strictObject({ kind: v.literal('cache'), cacheId: CacheId, shuffleId: Count, partitions: v.pipe(Count, v.minValue(1)) }),
    v.strictObject({ kind: v.literal('result') }),
  ]),
  parents: v.array(Count),
  fields: Fields,
});

/** Nesting depth of a JSON value, stopping once past `limit` (a hostile plan must not overflow the stack of the validator). */
function depthExceeds(x: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[x, 0]];
  while (stack.length) {
    const [y, d] = stack.pop()!;
    if (d > limit) return true;
    if (typeof y === 'object' && y !== null) for (const c of Object.values(y)) if (typeof c === 'object' && c !== null) stack.push([c, d + 1]);
  }
  return false;
}

/** Parses and validates a stage's JSON; the reason names the first offending path. Never throws. */
export function decodeStage(text: string): { ok: true; stage: Stage } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not JSON: ${(e as Error).message}` };
  }
  // Each plan level is a few JSON levels (node -> child, expr -> args -> element).
  if (depthExceeds(json, MAX_PLAN_DEPTH * 4)) return { ok: false, reason: `nested deeper than ${MAX_PLAN_DEPTH} plan levels` };
  const r = v.safeParse(StageSchema, json);
  if (!r.success) return { ok: false, reason: `invalid stage plan: ${r.issues.slice(0, 3).map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`).join('; ')}` };
  return { ok: true, stage: r.output as Stage };
}
