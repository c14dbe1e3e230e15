// The onnxruntime backend: an ONNX model run by onnxruntime-node on the CPU (an optional peer dependency), as a ProgramRunner.
import type { ProgramRunner } from '../../gpu-kernels/program/contract.ts';
import { ResourceError } from '../errors.ts';
import type { OnnxArtifact } from '../model/onnx-artifact.ts';
import { IMAGE_INPUT, withImageInput } from '../model/onnx/image-input-graph.ts';

type Ort = typeof import('onnxruntime-node');
let ortModule: Promise<Ort | null> | null = null;

/** onnxruntime-node, or null when it is not installed (it is an optional peer: `npm install onnxruntime-node`). */
export function loadOrt(): Promise<Ort | null> {
  ortModule ??= import('onnxruntime-node').then((m) => ((m as { default?: Ort }).default ?? m) as Ort).catch(() => null);
  return ortModule;
}

/** Why the backend is missing, for messages. */
export const ORT_MISSING = "onnxruntime-node is not installed: `npm install onnxruntime-node` (its CPU build ships in the npm package; set \"allowScripts\": { \"onnxruntime-node\": false } or ONNXRUNTIME_NODE_INSTALL=skip so that its install script downloads nothing)";

/**
 * A session over the artifact's .onnx bytes with `threads` intra-op threads. run() takes uint8
 * HWC images as they are: the model's normalization and the NCHW layout run inside
 * onnxruntime, as nodes put in front of the graph (withImageInput). It fetches the ranked
 * output and the graph outputs `extra`, each by its name.
 */
export async function createOrtRunner(m: OnnxArtifact, threads: number, extra: readonly string[] = []): Promise<ProgramRunner> {
  const ort = await loadOrt();
  if (!ort) throw new ResourceError(`predict backend 'onnxruntime': ${ORT_MISSING}`, { retryable: false });
  const { h, w, c } = m.image;
  const bytes = withImageInput(m.bytes, { input: m.onnx.inputs[0].name, h, w, c, ...m.preprocess }, m.file);
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads,
    // One run is one batch of a chain of layers: nothing for inter-op threads to overlap.
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const fetches = [...new Set([m.output.name, ...extra])];
  let disposed = false;
  return {
    description: `onnxruntime-node ${ort.env.versions.common} (cpu, ${threads} thread${threads > 1 ? 's' : ''})`,
    async run(input: Uint8Array | Float32Array, n: number): Promise<Record<string, Float32Array>> {
      if (disposed) throw new Error('onnxruntime runner: disposed');
      if (!(input instanceof Uint8Array)) throw new RangeError('onnxruntime runner: takes uint8 images');
      // onnxruntime-node 1.30 kills the process (no exception) on a tensor with no elements.
      if (n === 0) return Object.fromEntries(fetches.map((name) => [name, new Float32Array(0)]));
      // onnxruntime-node refuses views of a SharedArrayBuffer (worker threads' shared partitions): "Invalid argument".
      const x = input.buffer instanceof ArrayBuffer ? input : input.slice();
      const out = await session.run({ [IMAGE_INPUT]: new ort.Tensor('uint8', x, [n, h, w, c]) }, fetches);
      return Object.fromEntries(fetches.map((name) => [name, out[name].data as Float32Array]));
    },
    dispose() {
      disposed = true;
      void session.release();
    },
  };
}
