// ONNX models in Quiver: loadOnnx (bytes -> checked, lowered OnnxModel) and compileOnnx (OnnxModel -> TensorProgram).
export { loadOnnx, MAX_OPSET, MIN_OPSET } from './load.ts';
export { compileOnnx, type CompileOptions, type ImageInput } from './compile.ts';
export type { BatchNormStep, ConstTensor, FloatTensor, IntTensor, IrStep, OnnxModel, OnnxTensorInfo } from './model.ts';
export { SUPPORTED_OPS } from './ops/index.ts';
