// An inference lane's entry (see inference-host.ts): it serves the pipelined predicts of the tasks connected to it (see ops/predict/inference-service.ts).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { InferenceService } from '../../ops/predict/inference-service.ts';

const service = new InferenceService((workerData as { threads: number }).threads);
parentPort!.on('message', (m: { port: MessagePort } | { close: true }) => {
  if ('port' in m) return service.serve(m.port);
  // Shut down in order: runners disposed, the GPU device destroyed, then the thread ends by
  // itself (terminating a thread under a live Dawn device or onnxruntime session can crash the process).
  void service.close().finally(() => process.exit(0));
});
