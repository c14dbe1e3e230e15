// Plan-time typing of struct, map and list access and construction (getField, getItem, struct, createMap, ...).
import { PlanError } from '../errors.ts';
import { isInteger, isList, isMap, isStruct, listElement, typeToString, type TypeJSON } from '../types.ts';
import { exprToString, structFieldName, type NestedFn } from './node.ts';
import type { CallChecks, CallOf, Typed } from './typecheck.ts';

const isIntish = (t: TypeJSON) => isInteger(t) || t === 'null';

/** Types a map key may have: plain values that compare by equality (not null, not nested, not float: NaN never equals itself). */
const isKeyType = (t: TypeJSON) => typeof t === 'string' && t !== 'null' && t !== 'float32' && t !== 'float64';

export function nestedCallType(e: CallOf<NestedFn>, c: CallChecks): Typed {
  const a = c.args;
  const what = (t: TypeJSON) => typeToString(t);
  switch (e.fn) {
    case 'getField': {
      c.arity(2);
      const name = c.literalArg(1, 'the field name').value;
      if (typeof name !== 'string') throw new PlanError(`${exprToString(e)}: the field name must be a string, got ${JSON.stringify(name)}`);
      const t = a[0].type;
      if (t === 'null') return { type: 'null', nullable: true };
      if (!isStruct(t)) {
        const hint = isMap(t) ? `; read a map's value with getItem(${JSON.stringify(name)})` : '';
        throw new PlanError(`${exprToString(e)}: ${exprToString(e.args[0])} has type ${what(t)}, not a struct, so it has no field '${name}'${hint}`);
      }
      const f = t.struct.find((x) => x.name === name);
      if (!f) throw new PlanError(`${exprToString(e)}: struct ${exprToString(e.args[0])} has no field '${name}'; its fields are ${t.struct.map((x) => x.name).join(', ') || '(none)'}`);
      return { type: f.type, nullable: a[0].nullable || f.nullable };
    }
    case 'getItem': case 'elementAt': {
      c.arity(2);
      const t = a[0].type;
      if (t === 'null') return { type: 'null', nullable: true };
      if (isMap(t)) {
        const k = a[1].type;
        if (k !== 'null' && (typeof k === 'object' || c.comparable(t.map.key, k) === null)) {
          throw new PlanError(`${exprToString(e)}: the key has type ${what(k)}, but the map's keys are ${what(t.map.key)}; cast the key`);
        }
        return { type: t.map.value, nullable: true };
      }
      if (isList(t)) {
        c.arg(1, isIntish, 'an integer index');
        const i = e.args[1];
        if (e.fn === 'elementAt' && i.kind === 'literal' && i.value === 0) {
          throw new PlanError(`${exprToString(e)}: element_at counts list positions from 1 (and -1 from the end); 0 is no position`);
        }
        return { type: listElement(t), nullable: true };
      }
      throw new PlanError(`${exprToString(e)}: ${e.fn} needs a map or a list, got ${what(t)}${isStruct(t) ? `; read a struct's field with getField('name') or col('${exprToString(e.args[0])}.name')` : ''}`);
    }
    case 'struct': {
      c.arity(1, Infinity);
      const names = e.args.map(structFieldName);
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      if (dup !== undefined) throw new PlanError(`${exprToString(e)}: two fields would be named '${dup}'; alias them, e.g. col('x').alias('x2')`);
      return { type: { struct: names.map((name, i) => ({ name, type: a[i].type, nullable: a[i].nullable })) }, nullable: false };
    }
    case 'createMap': {
      if (a.length === 0 || a.length % 2 !== 0) throw new PlanError(`${exprToString(e)}: createMap takes keys and values in pairs (k1, v1, k2, v2, ...), got ${a.length} argument(s)`);
      const keys = a.filter((_, i) => i % 2 === 0), values = a.filter((_, i) => i % 2 === 1);
      const kt = c.common(keys.map((x) => x.type));
      if (kt === null || !isKeyType(kt)) {
        throw new PlanError(`${exprToString(e)}: map keys must share one type among bool, integers, utf8, binary, date32 and timestamp_ms, got ${keys.map((x) => what(x.type)).join(', ')}`);
      }
      const vt = c.common(values.map((x) => x.type));
      if (vt === null) throw new PlanError(`${exprToString(e)}: map values have incompatible types ${values.map((x) => what(x.type)).join(', ')}; cast them to one type`);
      return { type: { map: { key: kt, value: vt } }, nullable: false };
    }
    case 'mapKeys': case 'mapValues': {
      c.arity(1);
      const t = a[0].type;
      if (t === 'null') return { type: { list: 'null' }, nullable: true };
      if (!isMap(t)) throw new PlanError(`${exprToString(e)}: ${e.fn} needs a map, got ${what(t)}`);
      return { type: { list: e.fn === 'mapKeys' ? t.map.key : t.map.value }, nullable: a[0].nullable };
    }
    case 'size': {
      c.arity(1);
      const t = a[0].type;
      if (t !== 'null' && !isMap(t) && !isList(t)) throw new PlanError(`${exprToString(e)}: size needs a map or a list, got ${what(t)}; use length(...) for a string`);
      return { type: 'int32', nullable: a[0].nullable };
    }
    case 'toJson': {
      c.arity(1);
      const t = a[0].type;
      if (t !== 'null' && typeof t !== 'object') throw new PlanError(`${exprToString(e)}: toJson needs a struct, map or list, got ${what(t)}`);
      return { type: 'utf8', nullable: a[0].nullable };
    }
  }
}
