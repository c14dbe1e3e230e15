// tfjsWebgpuMlpRunner: an MlpWeights run by TensorFlow.js on its WebGPU backend (over Dawn in Node), as an MlpRunner.
//
// tfjs-backend-webgpu registers itself at import time only if `navigator.gpu` exists, and then
// asks navigator.gpu for its own adapter and device: so `navigator` is set to the Dawn GPU
// object first and the module is imported after. The forward pass is what a tfjs user would
// write (and what tfjs-layers' Dense does): fused matMul + bias + relu per layer, weights
// uploaded once, one tf.tidy per batch, results read back with data().
import type * as TfCore from '@tensorflow/tfjs-core';
import type { MlpResult, MlpRunner, MlpWeights } from '../../gpu-kernels/mlp/contract.ts';

type Tf = typeof TfCore;
let loading: Promise<Tf> | null = null;

/** tfjs-core with the 'webgpu' backend active on `gpu`. Once per process: tfjs keeps one device. */
export function loadTfjsWebgpu(gpu: GPU): Promise<Tf> {
  loading ??= (async () => {
    const g = globalThis as { navigator?: { gpu?: GPU } };
    if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    else if (!g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs: the webgpu backend did not initialise (no adapter from navigator.gpu?)');
    await tf.ready();
    return tf;
  })();
  return loading;
}

export async function tfjsWebgpuMlpRunner(weights: MlpWeights, gpu: GPU): Promise<MlpRunner & { description: string }> {
  const tf = await loadTfjsWebgpu(gpu);
  const inDim = weights.layers[0].in;
  const layers = weights.layers.map((l) => ({
    w: tf.tensor2d(l.w, [l.out, l.in], 'float32'),
    b: tf.tensor1d(l.b, 'float32'),
    activation: l.activation,
  }));
  const forward = (images: Uint8Array, m: number): TfCore.Tensor2D => {
    // tfjs has no u8 dtype: the bytes become an int32 tensor (tfjs converts on the host).
    // Functional ops: tfjs-core alone does not register the chained ones (t.mul()).
    let h: TfCore.Tensor2D = tf.add(tf.mul(tf.cast(tf.tensor2d(images, [m, inDim], 'int32'), 'float32'), weights.scale), weights.shift);
    for (const l of layers) {
      h = tf.fused.matMul({ a: h, b: l.w, transposeB: true, bias: l.b, activation: l.activation === 'relu' ? 'relu' : 'linear' }) as TfCore.Tensor2D;
      if (l.activation === 'softmax') h = tf.softmax(h) as TfCore.Tensor2D;
    }
    return h;
  };
  const backend = tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } };
  return {
    description: `tfjs ${tf.version_core} (webgpu${backend.adapterInfo?.vendor ? `, ${backend.adapterInfo.vendor}` : ''})`,
    async run(images: Uint8Array, m: number, topK = 0): Promise<MlpResult> {
      if (images.length !== m * inDim) throw new RangeError(`tfjsWebgpuMlpRunner: images has ${images.length} bytes, expected ${m} x ${inDim}`);
      if (m === 0) return { labels: new Int32Array(0), scores: new Float32Array(0), ...(topK > 0 ? { top: { index: new Int32Array(0), value: new Float32Array(0) } } : {}) };
      const outs = tf.tidy(() => {
        const h = forward(images, m);
        const o: TfCore.Tensor[] = [tf.argMax(h, 1), tf.max(h, 1)];
        if (topK > 0) { const t = tf.topk(h, topK); o.push(t.indices, t.values); }
        return o;
      });
      try {
        const data = await Promise.all(outs.map((t) => t.data()));
        const result: MlpResult = { labels: data[0] as Int32Array, scores: data[1] as Float32Array };
        if (topK > 0) result.top = { index: data[2] as Int32Array, value: data[3] as Float32Array };
        return result;
      } finally {
        tf.dispose(outs);
      }
    },
    dispose() {
      for (const l of layers) tf.dispose([l.w, l.b]);
    },
  };
}
