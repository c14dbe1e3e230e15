// Relu, Clip (attributes before opset 11, constant inputs from 11), Sigmoid, HardSwish -> activation steps (fused into their producer later).
import type { Activation } from '../../../../gpu-kernels/program/contract.ts';
import type { OpRule } from '../lower.ts';

/** Clip's bounds when absent: the float32 range (finite, so the program stays plain JSON). */
export const FLOAT32_MAX = 3.4028234663852886e38;

export const ActivationRule: OpRule = {
  ops: ['Relu', 'Clip', 'Sigmoid', 'HardSwish'],
  lower(node, ctx) {
    let act: Activation;
    switch (node.opType) {
      case 'Relu': node.checkAttributes([]); act = { op: 'relu' }; break;
      case 'Sigmoid': node.checkAttributes([]); act = { op: 'sigmoid' }; break;
      case 'HardSwish': node.checkAttributes([]); act = { op: 'hardswish' }; break;
      default: {
        let min: number, max: number;
        if (ctx.opset < 11) {
          node.checkAttributes(['min', 'max']);
          min = node.float('min', -FLOAT32_MAX);
          max = node.float('max', FLOAT32_MAX);
        } else {
          node.checkAttributes([]);
          min = ctx.optional(node, 1) ? ctx.scalar(node, 1, 'min') : -FLOAT32_MAX;
          max = ctx.optional(node, 2) ? ctx.scalar(node, 2, 'max') : FLOAT32_MAX;
        }
        if (!(min <= max)) throw node.error(`min ${min} is greater than max ${max}`);
        act = { op: 'clip', min, max };
      }
    }
    const x = ctx.value(node, 0, 'input');
    ctx.emit({ kind: 'activation', x: x.id, y: ctx.output(node), act }, x.shape);
  },
};
