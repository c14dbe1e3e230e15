// The schema of model.json (valibot): every field's type and range, reported as a DataError naming the file and the JSON path at fault.
import * as v from 'valibot';
import { DataError } from '../errors.ts';

/** The largest finite float32: the weights, the input and every activation are f32 on every backend. */
export const F32_MAX = 3.4028234663852886e38;
/** Input size and layer widths at most (2^26 values: 256 MB of f32 per row of weights). */
export const MAX_WIDTH = 1 << 26;

const size = (what = 'an integer >= 1') => v.pipe(
  v.number(`expected ${what}`), v.safeInteger(`expected ${what}`), v.minValue(1, `expected ${what}`), v.maxValue(MAX_WIDTH, `expected an integer <= ${MAX_WIDTH}`),
);

const f32 = v.pipe(
  v.number('expected a finite number'), v.finite('expected a finite number'),
  v.check((x: number) => Math.abs(x) <= F32_MAX, (i) => `${String(i.input)} does not fit in float32 (|x| <= 3.4e38), which every backend computes in; no model can predict with it`),
);

const LayerSchema = v.object({
  name: v.pipe(v.string('expected a string'), v.nonEmpty('expected a non-empty string')),
  in: size(),
  out: size(),
  activation: v.picklist(['relu', 'none', 'softmax'], 'expected "relu", "none" or "softmax"'),
}, 'expected an object');

/** model.json after the format, version and kind checks (see validateModelJson). */
export const ModelJsonSchema = v.object({
  format: v.literal('quiver-model', 'expected "quiver-model"'),
  formatVersion: v.literal(1, 'expected 1'),
  name: v.string('expected a string'),
  kind: v.literal('mlp', 'expected "mlp"'),
  input: v.object({
    shape: v.pipe(v.array(size(), 'expected an array'), v.minLength(1, 'expected a non-empty array'), v.maxLength(8, 'expected at most 8 dimensions')),
    dtype: v.literal('uint8', 'expected "uint8"'),
    scale: f32,
    shift: f32,
  }, 'expected an object'),
  layers: v.pipe(v.array(LayerSchema, 'expected an array'), v.minLength(1, 'expected a non-empty array')),
  labels: v.array(v.string('expected a string'), 'expected an array'),
  weights: v.object({
    file: v.pipe(v.string('expected a string'), v.regex(/^[^/\\]+$/, 'expected a file name inside the model directory'), v.check((f) => f !== '.' && f !== '..', 'expected a file name inside the model directory')),
    sha256: v.pipe(v.string('expected a string'), v.regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits')),
    bytes: v.pipe(v.number('expected an integer >= 0'), v.safeInteger('expected an integer >= 0'), v.minValue(0, 'expected an integer >= 0')),
  }, 'expected an object'),
});

/** `layers[0].in` from a valibot issue's path. */
function jsonPath(issue: v.BaseIssue<unknown>): string {
  let out = '';
  for (const item of issue.path ?? []) {
    const k = item.key;
    out += typeof k === 'number' ? `[${k}]` : `${out ? '.' : ''}${String(k)}`;
  }
  return out || '(the top level)';
}

function shown(x: unknown): string {
  if (x === undefined) return 'nothing (the field is missing)';
  if (typeof x === 'number') return String(x);
  const s = JSON.stringify(x) ?? String(x);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Parses `m` (model.json's content, already an object) or throws a DataError naming `file` and the first JSON paths at fault. */
export function parseModelJson<T>(m: unknown, file: string): T {
  const r = v.safeParse(ModelJsonSchema, m);
  if (r.success) return r.output as T;
  const parts = r.issues.slice(0, 3).map((i) => `${jsonPath(i)}: ${i.message}${i.message.startsWith('expected') ? `, got ${shown(i.input)}` : ''}`);
  const more = r.issues.length > 3 ? ` (and ${r.issues.length - 3} more)` : '';
  throw new DataError(`${parts.join('; ')}${more}; fix model.json (saveModel writes a valid one)`, { file });
}
