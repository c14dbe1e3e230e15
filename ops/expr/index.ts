// Public surface of ops/expr: the expression tree, type checking and vectorized evaluation.
export * from './node.ts';
export { inferField } from './typecheck.ts';
export { compileExpr, type CompiledExpr } from './eval.ts';
