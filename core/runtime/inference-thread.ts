// The inference thread's entry: one per process, it serves the pipelined predict of every task (see ops/predict/inference-service.ts).
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { InferenceService } from '../../ops/predict/inference-service.ts';

const service = new InferenceService((workerData as { threads: number }).threads);
parentPort!.on('message', (m: { port: MessagePort }) => service.serve(m.port));
