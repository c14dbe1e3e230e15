// Scalar function dispatch (call nodes): string, list and math functions.
import type { ExprNode } from './node.ts';
import type { TypeJSON } from '../types.ts';
import type { Node } from './compiled.ts';
import { InternalError } from '../errors.ts';

export function compileCall(e: ExprNode & { kind: 'call' }, args: readonly Node[], out: TypeJSON): Node {
  void args; void out;
  throw new InternalError(`call ${e.fn} not implemented yet`);
}
