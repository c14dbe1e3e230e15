// Compiles struct, map and list access and construction calls (see NestedFn in node.ts) onto the kernels in structs.ts, maps.ts and split.ts.
import { toArrowType, isMap, isStruct, type TypeJSON } from '../types.ts';
import { InternalError } from '../errors.ts';
import type { Node } from './compiled.ts';
import { exprToString, type NestedFn } from './node.ts';
import type { Coerce, Compile } from './functions.ts';
import type { CallOf } from './typecheck.ts';
import { nullData } from './bits.ts';
import { mapLookup, mapPart, makeMap, sizeOf } from './maps.ts';
import { listAt } from './split.ts';
import { jsonText, makeStruct, structField } from './structs.ts';

const node = (type: TypeJSON, evaluate: Node['evaluate']): Node => ({ type, constant: null, evaluate });

export function compileNestedCall(e: CallOf<NestedFn>, compile: Compile, coerce: Coerce, out: TypeJSON): Node {
  const args = e.args.map(compile);
  const [a, b] = args;
  // Access to a value of the null type (a null literal) is null.
  if (e.fn !== 'struct' && e.fn !== 'createMap' && a.type === 'null') return node(out, (batch) => nullData(out, batch.numRows));
  switch (e.fn) {
    case 'getField': {
      const t = a.type;
      const name = e.args[1].kind === 'literal' ? e.args[1].value : null;
      const index = isStruct(t) ? t.struct.findIndex((f) => f.name === name) : -1;
      if (index < 0) throw new InternalError(`${exprToString(e)}: no such field (typecheck MUST have refused it)`);
      return node(out, (batch) => structField(a.evaluate(batch), index));
    }
    case 'getItem': case 'elementAt': {
      if (b.type === 'null') return node(out, (batch) => nullData(out, batch.numRows));
      if (isMap(a.type)) return node(out, (batch) => mapLookup(a.evaluate(batch), b.evaluate(batch)));
      const oneBased = e.fn === 'elementAt';
      return node(out, (batch) => listAt(a.evaluate(batch), b.evaluate(batch), oneBased));
    }
    case 'struct': {
      const type = toArrowType(out);
      return node(out, (batch) => makeStruct(type, args.map((x) => x.evaluate(batch)), batch.numRows));
    }
    case 'createMap': {
      if (!isMap(out)) throw new InternalError(`createMap typed as ${JSON.stringify(out)}`);
      const type = toArrowType(out);
      const keys = args.filter((_, i) => i % 2 === 0).map((k) => coerce(k, out.map.key));
      const values = args.filter((_, i) => i % 2 === 1).map((v) => coerce(v, out.map.value));
      const what = exprToString(e);
      return node(out, (batch) => makeMap(type, keys.map((k) => k.evaluate(batch)), values.map((v) => v.evaluate(batch)), batch.numRows, what));
    }
    case 'mapKeys': case 'mapValues': {
      const type = toArrowType(out);
      const part = e.fn === 'mapKeys' ? 0 : 1;
      return node(out, (batch) => mapPart(a.evaluate(batch), part, type));
    }
    case 'size': return node(out, (batch) => sizeOf(a.evaluate(batch)));
    case 'toJson': return node(out, (batch) => jsonText(a.evaluate(batch)));
  }
}
