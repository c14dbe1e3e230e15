// The MLP head in WGSL: per row, softmax (or not) over the logits, then the label, its score and optionally the top k.
import { WGSL_RANK, wgslSelectTopK } from '../argmax/wgsl.ts';
import { WG_1D } from '../wgsl-util.ts';

/**
 * Bindings: 0 logits [m x ldx] f32, 1 labels i32, 2 scores f32, 3 top index, 4 top value,
 * 5 params {m, k}. Scores are what the reference ranks: probabilities after a softmax, so a
 * row's ranking and score match softmax-then-argmax exactly (NaN rows included).
 */
export function headShader(n: number, ldx: number, softmax: boolean, withTop: boolean): string {
  return /* wgsl */ `${WGSL_RANK}
struct Params { m: u32, k: u32, p0: u32, p1: u32 }
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read_write> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> scores: array<f32>;
${withTop ? `@group(0) @binding(3) var<storage, read_write> top_index: array<i32>;
@group(0) @binding(4) var<storage, read_write> top_value: array<f32>;` : ''}
@group(0) @binding(5) var<uniform> params: Params;
const N = ${n}u;
const LDX = ${ldx}u;
var<private> row_max: f32;
var<private> inv_sum: f32;
var<private> all_inf: bool;
var<private> n_inf: f32;
fn val(row: u32, j: u32) -> f32 {
  let v = logits[row * LDX + j];
  ${softmax ? `if (all_inf) { return select(0.0, 1.0 / n_inf, v == inf_f32()); }
  return exp(v - row_max) * inv_sum;` : 'return v;'}
}
fn emit(row: u32, r: u32, j: u32, v: f32) {
  if (r == 0u) { labels[row] = i32(j); scores[row] = v; }
  ${withTop ? 'if (r < params.k) { top_index[row * params.k + r] = i32(j); top_value[row * params.k + r] = v; }' : ''}
}
@compute @workgroup_size(${WG_1D})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let row = (wg.y * nwg.x + wg.x) * ${WG_1D}u + li;
  if (row >= params.m) { return; }
  ${softmax ? `// Stable softmax: subtract the max. A NaN anywhere makes the row NaN; +inf entries share the mass.
  var mx = -inf_f32();
  var has_nan = false;
  var ninf = 0.0;
  for (var j = 0u; j < N; j++) {
    let v = logits[row * LDX + j];
    if (is_nan(v)) { has_nan = true; }
    else { mx = max(mx, v); if (v == inf_f32()) { ninf += 1.0; } }
  }
  row_max = mx;
  all_inf = ninf > 0.0;
  n_inf = ninf;
  var s = 0.0;
  for (var j = 0u; j < N; j++) { s += exp(logits[row * LDX + j] - mx); }
  inv_sum = 1.0 / s;
  if (has_nan || mx == -inf_f32()) { inv_sum = nan_f32(); all_inf = false; }` : ''}
  ${wgslSelectTopK('N', withTop ? 'max(params.k, 1u)' : '1u')}
}`;
}
