// The WINDOW clause: `OVER w` and `OVER (w ROWS ...)` replaced in the AST by the window spec they name, before translation.
import { sqlError } from './errors.ts';
import type { Ast } from './parse.ts';

type Spec = Ast;

/**
 * `sel` with every OVER that names a window of its WINDOW clause written out, as SQL defines it:
 * `OVER w` is w's spec; `OVER (w ORDER BY ... ROWS ...)` copies w's PARTITION BY and ORDER BY
 * and may add an ORDER BY (when w has none) and a frame, but w itself MUST NOT have a frame.
 * A WINDOW entry may build on an earlier one the same way. `orderBy` (the query's ORDER BY) is
 * rewritten too. Unknown names are SqlErrors listing the defined windows.
 */
export function inlineNamedWindows(sel: Ast, orderBy: readonly Ast[]): { sel: Ast; orderBy: Ast[] } {
  const defined = new Map<string, Spec>();
  for (const [ident, def] of sel.named_window ?? []) {
    const name = String(ident.value).toLowerCase();
    if (defined.has(name)) throw sqlError(ident, `window '${ident.value}' is defined twice`);
    defined.set(name, resolve(def, defined, ident));
  }
  if (defined.size === 0) return { sel, orderBy: [...orderBy] };
  const rewrite = (x: Ast): Ast => {
    if (Array.isArray(x)) return x.map(rewrite);
    // A nested query (it has a body) names its own windows.
    if (x === null || typeof x !== 'object' || 'body' in x) return x;
    const out: Record<string, Ast> = {};
    for (const [k, v] of Object.entries(x)) out[k] = k === 'over' && v ? resolve(v, defined, v) : rewrite(v);
    return out;
  };
  return { sel: { ...rewrite(sel), named_window: [] }, orderBy: orderBy.map(rewrite) };
}

/** An OVER (or a WINDOW entry's definition) as a spelled-out `{ WindowSpec }`. */
function resolve(over: Ast, defined: ReadonlyMap<string, Spec>, node: Ast): Ast {
  if (over.NamedWindow !== undefined) return { WindowSpec: lookup(over.NamedWindow, defined) };
  const s = over.WindowSpec;
  if (!s?.window_name) return over;
  const base = lookup(s.window_name, defined);
  const name = s.window_name.value;
  if (s.partition_by?.length) throw sqlError(node, `a window built on '${name}' cannot have its own PARTITION BY; put it in '${name}'`);
  if (s.order_by?.length && base.order_by?.length) throw sqlError(node, `window '${name}' has an ORDER BY already, so a window built on it cannot order again`);
  if (base.window_frame) throw sqlError(node, `window '${name}' has a frame, so a window cannot be built on it; use OVER ${name} as it is, or move the frame out of '${name}'`);
  return { WindowSpec: { partition_by: base.partition_by ?? [], order_by: s.order_by?.length ? s.order_by : base.order_by ?? [], window_frame: s.window_frame ?? null } };
}

function lookup(ident: Ast, defined: ReadonlyMap<string, Spec>): Spec {
  const spec = defined.get(String(ident.value).toLowerCase());
  if (spec === undefined) throw sqlError(ident, `unknown window '${ident.value}': ${defined.size ? `the WINDOW clause defines ${[...defined.keys()].join(', ')}` : 'define it with WINDOW name AS (...) (after the WINDOW entries it builds on)'}`);
  return spec.WindowSpec ?? spec;
}
