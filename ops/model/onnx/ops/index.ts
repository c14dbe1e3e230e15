// The compile rules by ONNX op type, and the sorted list of supported ops that errors quote.
import type { OpRule } from '../lower.ts';
import { ActivationRule } from './activation.ts';
import { BatchNormRule } from './batch-norm.ts';
import { BinaryRule } from './binary.ts';
import { ConcatRule } from './concat.ts';
import { ConvRule } from './conv.ts';
import { GemmRule } from './gemm.ts';
import { IdentityRule } from './identity.ts';
import { MatMulRule } from './matmul.ts';
import { PoolRule } from './pool.ts';
import { ReshapeRule } from './reshape.ts';
import { ShapeOfRule } from './shape-of.ts';
import { SoftmaxRule } from './softmax.ts';

const RULES: readonly OpRule[] = [ActivationRule, BatchNormRule, BinaryRule, ConcatRule, ConvRule, GemmRule, IdentityRule, MatMulRule, PoolRule, ReshapeRule, ShapeOfRule, SoftmaxRule];

export const RULES_BY_OP: ReadonlyMap<string, OpRule> = new Map(RULES.flatMap((r) => r.ops.map((op) => [op, r] as const)));

/** Every ONNX op type (default domain) Quiver compiles, sorted. */
export const SUPPORTED_OPS: readonly string[] = [...RULES_BY_OP.keys()].sort();
