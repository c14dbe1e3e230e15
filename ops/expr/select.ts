// CASE WHEN and coalesce: per-row choice among several inputs of one type.
import type { ExprNode } from './node.ts';
import type { TypeJSON } from '../types.ts';
import type { Node } from './compiled.ts';
import type { Ctx } from './eval.ts';
import { InternalError } from '../errors.ts';

export function compileCase(e: ExprNode & { kind: 'case' }, ctx: Ctx, out: TypeJSON): Node {
  void ctx; void out; void e;
  throw new InternalError('case not implemented yet');
}
