// ONNX zoo: MobileNetV2 and ResNet-18 exactly as torchvision defines them, with seeded random weights, built by OnnxGraph for benchmarks and tests.
//
//   const bytes = onnxZoo('resnet18');            // ONNX opset 13, image [N,3,224,224] -> logits [N,1000]
//   const session = await ort.InferenceSession.create(bytes);
//
// Only the architecture is torchvision's: the weights come from a fixed-seed PRNG (He-uniform,
// so activations keep their scale through the depth) and every BatchNormalization has seeded,
// non-trivial statistics, so that a loader's BN folding is exercised and checked. Initializers
// carry torchvision's state_dict names ('features.1.conv.0.0.weight', 'layer2.0.downsample.1.running_var').
// The outputs are meaningless as classes; the graphs are for speed and for agreement between runtimes.
import { mulberry32 } from '../../ops/compute/random.ts';
import { float, int, ints, OnnxGraph } from './onnx-graph.ts';

/** The models of the zoo. */
export type ZooModelName = 'mobilenet_v2' | 'resnet18';

export const ZOO_MODELS: readonly ZooModelName[] = ['mobilenet_v2', 'resnet18'];

/** Input and output of every zoo model: `image` float32 [N,3,224,224] (symbolic N), `logits` float32 [N,1000]. */
export const ZOO_IO = { input: 'image', output: 'logits', batchDim: 'N', size: 224, channels: 3, classes: 1000 } as const;

/** torchvision's parameter counts (weights and BN affine terms; running statistics are buffers, not parameters). */
export const ZOO_PARAMETERS: Readonly<Record<ZooModelName, number>> = { mobilenet_v2: 3_504_872, resnet18: 11_689_512 };

/** ImageNet normalization, as torchvision's weights expect; written to metadata quiver.preprocess. */
export const IMAGENET_PREPROCESS = {
  scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], layout: 'NCHW', channels: 3, size: [224, 224],
} as const;

export interface ZooOptions {
  /** Seed of the weights; 1 unless given. The same seed gives the same bytes. */
  readonly seed?: number;
}

const BN_EPSILON = 1e-5;

/** Tracks names, draws weights and appends layers; each layer method returns its output's name. */
class Net {
  readonly g: OnnxGraph;
  private readonly r: () => number;
  private count = 0;
  private clipBounds = false;

  constructor(name: string, seed: number) {
    this.g = new OnnxGraph({ opset: 13, name, producer: 'quiver bench/lib/onnx-zoo.ts' });
    this.r = mulberry32(seed);
  }

  private uniform(n: number, a: number, center = 0): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = center + a * (2 * this.r() - 1);
    return out;
  }

  private tmp(prefix: string): string {
    return `${prefix}_${this.count++}`;
  }

  /** Conv without bias (every torchvision conv here is followed by BN); He-uniform over fan-in. */
  conv(x: string, name: string, cin: number, cout: number, k: number, stride = 1, groups = 1): string {
    const fanIn = (cin / groups) * k * k;
    const w = `${name}.weight`;
    this.g.initializer(w, [cout, cin / groups, k, k], this.uniform(cout * fanIn, Math.sqrt(6 / fanIn)));
    const pad = (k - 1) >> 1;
    const y = this.tmp('conv');
    this.g.node('Conv', [x, w], [y], {
      kernel_shape: ints([k, k]), strides: ints([stride, stride]), pads: ints([pad, pad, pad, pad]), dilations: ints([1, 1]), group: int(groups),
    }, { name });
    return y;
  }

  /** BatchNormalization in inference form, with seeded statistics around the identity (gamma ~ 1, var ~ 1). */
  bn(x: string, name: string, c: number): string {
    const names = ['weight', 'bias', 'running_mean', 'running_var'].map((s) => `${name}.${s}`);
    this.g.initializer(names[0], [c], this.uniform(c, 0.25, 1));
    this.g.initializer(names[1], [c], this.uniform(c, 0.1));
    this.g.initializer(names[2], [c], this.uniform(c, 0.1));
    this.g.initializer(names[3], [c], this.uniform(c, 0.4, 1));
    const y = this.tmp('bn');
    this.g.node('BatchNormalization', [x, ...names], [y], { epsilon: float(BN_EPSILON), momentum: float(0.9) }, { name });
    return y;
  }

  relu(x: string): string {
    const y = this.tmp('relu');
    this.g.node('Relu', [x], [y]);
    return y;
  }

  /** ReLU6 as torch.onnx exports it: Clip with min 0 and max 6 as inputs (opset >= 11). */
  relu6(x: string): string {
    if (!this.clipBounds) {
      this.g.initializer('clip_min', [], [0]).initializer('clip_max', [], [6]);
      this.clipBounds = true;
    }
    const y = this.tmp('clip');
    this.g.node('Clip', [x, 'clip_min', 'clip_max'], [y]);
    return y;
  }

  add(a: string, b: string): string {
    const y = this.tmp('add');
    this.g.node('Add', [a, b], [y]);
    return y;
  }

  maxPool(x: string, k: number, stride: number, pad: number): string {
    const y = this.tmp('maxpool');
    this.g.node('MaxPool', [x], [y], { kernel_shape: ints([k, k]), strides: ints([stride, stride]), pads: ints([pad, pad, pad, pad]) });
    return y;
  }

  /** adaptive_avg_pool2d to 1x1, then flatten(x, 1), then the classifier Linear as Gemm (transB, as nn.Linear stores [out, in]). */
  head(x: string, name: string, cin: number, classes: number): string {
    const p = this.tmp('gap');
    this.g.node('GlobalAveragePool', [x], [p]);
    const f = this.tmp('flatten');
    this.g.node('Flatten', [p], [f], { axis: int(1) });
    // nn.Linear's default init: U(-1/sqrt(in), 1/sqrt(in)) for both weight and bias.
    const a = 1 / Math.sqrt(cin);
    this.g.initializer(`${name}.weight`, [classes, cin], this.uniform(classes * cin, a));
    this.g.initializer(`${name}.bias`, [classes], this.uniform(classes, a));
    this.g.node('Gemm', [f, `${name}.weight`, `${name}.bias`], [ZOO_IO.output], { alpha: float(1), beta: float(1), transB: int(1) }, { name });
    return ZOO_IO.output;
  }

  finish(): Uint8Array {
    const { input, output, batchDim, size, channels, classes } = ZOO_IO;
    return this.g
      .input(input, [batchDim, channels, size, size])
      .output(output, [batchDim, classes])
      .metadata('quiver.preprocess', JSON.stringify(IMAGENET_PREPROCESS))
      .metadata('quiver.output', 'logits')
      .toBytes();
  }
}

// torchvision's _make_divisible: channels rounded to a multiple of 8, never down by more than 10%.
function makeDivisible(v: number, divisor = 8): number {
  const n = Math.max(divisor, Math.floor(v + divisor / 2) - (Math.floor(v + divisor / 2) % divisor));
  return n < 0.9 * v ? n + divisor : n;
}

/** torchvision.models.mobilenet_v2(): inverted residual blocks (expand 1x1, depthwise 3x3, project 1x1), ReLU6. */
export function mobileNetV2(options: ZooOptions = {}): Uint8Array {
  const net = new Net('mobilenet_v2', options.seed ?? 1);
  // Conv2dNormActivation: conv (no bias) + BN + ReLU6; a block's names are `<prefix>.0` and `<prefix>.1`.
  const convBnAct = (x: string, prefix: string, cin: number, cout: number, k: number, stride = 1, groups = 1): string =>
    net.relu6(net.bn(net.conv(x, `${prefix}.0`, cin, cout, k, stride, groups), `${prefix}.1`, cout));
  // [expansion t, output channels c, repeats n, first stride s], torchvision's inverted_residual_setting.
  const setting: [number, number, number, number][] = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];
  let cin = makeDivisible(32);
  let x = convBnAct(ZOO_IO.input, 'features.0', 3, cin, 3, 2);
  let index = 1;
  for (const [t, c, n, s] of setting) {
    const cout = makeDivisible(c);
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      const hidden = Math.round(cin * t);
      const p = `features.${index++}.conv`;
      let h = x;
      let layer = 0;
      if (t !== 1) h = convBnAct(h, `${p}.${layer++}`, cin, hidden, 1);
      h = convBnAct(h, `${p}.${layer++}`, hidden, hidden, 3, stride, hidden);
      h = net.bn(net.conv(h, `${p}.${layer}`, hidden, cout, 1), `${p}.${layer + 1}`, cout);
      x = stride === 1 && cin === cout ? net.add(x, h) : h;
      cin = cout;
    }
  }
  const last = makeDivisible(1280);
  x = convBnAct(x, `features.${index}`, cin, last, 1);
  // classifier = Dropout (the identity at inference) + Linear; torchvision names the Linear classifier.1.
  net.head(x, 'classifier.1', last, ZOO_IO.classes);
  return net.finish();
}

/** torchvision.models.resnet18(): 7x7 stem, max pool, four stages of two BasicBlocks (64, 128, 256, 512). */
export function resNet18(options: ZooOptions = {}): Uint8Array {
  const net = new Net('resnet18', options.seed ?? 1);
  let x = net.maxPool(net.relu(net.bn(net.conv(ZOO_IO.input, 'conv1', 3, 64, 7, 2), 'bn1', 64)), 3, 2, 1);
  let cin = 64;
  [64, 128, 256, 512].forEach((planes, stage) => {
    for (let b = 0; b < 2; b++) {
      const p = `layer${stage + 1}.${b}`;
      const stride = b === 0 && stage > 0 ? 2 : 1;
      let h = net.relu(net.bn(net.conv(x, `${p}.conv1`, cin, planes, 3, stride), `${p}.bn1`, planes));
      h = net.bn(net.conv(h, `${p}.conv2`, planes, planes, 3), `${p}.bn2`, planes);
      const identity = stride !== 1 || cin !== planes ? net.bn(net.conv(x, `${p}.downsample.0`, cin, planes, 1, stride), `${p}.downsample.1`, planes) : x;
      x = net.relu(net.add(h, identity));
      cin = planes;
    }
  });
  net.head(x, 'fc', 512, ZOO_IO.classes);
  return net.finish();
}

/** The model of that name as ONNX bytes (built anew on each call: about 14 MB for MobileNetV2, 47 MB for ResNet-18). */
export function onnxZoo(name: ZooModelName, options: ZooOptions = {}): Uint8Array {
  switch (name) {
    case 'mobilenet_v2': return mobileNetV2(options);
    case 'resnet18': return resNet18(options);
  }
}
