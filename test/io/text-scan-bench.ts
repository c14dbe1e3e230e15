// Text-scan throughput (not a test): npx tsx test/io/text-scan-bench.ts <file> [workers=1] [splitBytes=64MiB] [bufferBytes]
// Each worker thread runs ScanExec over its share of the splits, as the runtime's pool would;
// workers=0 runs in the main thread. Reports wall-clock MB/s and MB per CPU-second (process
// CPU time, all threads), which stays meaningful on a machine shared with other work.
import { statSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ScanExec } from '../../ops/scan-exec.ts';
import { inferSchema, planSplits, type SplitJSON } from '../../ops/sources/index.ts';
import { testContext } from './helpers.ts';

interface Job { path: string; splits: SplitJSON[]; partitions: number[]; options: Record<string, unknown> }

async function runPartitions(job: Job): Promise<{ rows: number; bytes: number; scanSec: number }> {
  const t0 = performance.now();
  const fileSchema = await inferSchema({ format: 'text', paths: [job.path], options: job.options });
  const exec = new ScanExec({ format: 'text', splits: job.splits, options: job.options, fileSchema, projection: null, filters: [], limit: null });
  let rows = 0, bytes = 0;
  for (const p of job.partitions) {
    for await (const b of exec.execute(p, await testContext({ partition: p }))) {
      rows += b.numRows;
      bytes += (b.data.children[0].values as Uint8Array).length;
    }
  }
  return { rows, bytes, scanSec: (performance.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  const path = process.argv[2];
  const workers = Number(process.argv[3] ?? 1);
  const splitBytes = Number(process.argv[4] ?? 64 << 20);
  const options = process.argv[5] ? { bufferBytes: Number(process.argv[5]) } : {};
  const size = statSync(path).size;
  const splits = await planSplits({ format: 'text', paths: [path], options: {} }, splitBytes);
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const results = workers === 0 ? [await runPartitions({ path, splits, partitions: splits.map((_, i) => i), options })] : await Promise.all(Array.from({ length: workers }, (_, w) => {
      const job: Job = { path, splits, partitions: splits.map((_, i) => i).filter((i) => i % workers === w), options };
      return new Promise<{ rows: number; bytes: number; scanSec: number }>((resolve, reject) => {
        // Workers load this file from TypeScript through tsx, as core/runtime/worker-tsx.mjs does.
        const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
        const worker = new Worker(boot, { eval: true, workerData: job });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    }));
    const dt = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSec = (cpu.user + cpu.system) / 1e6;
    const rows = results.reduce((s, r) => s + r.rows, 0);
    console.log(`workers=${workers} splits=${splits.length} buffer=${options.bufferBytes ?? 'default'} rows=${rows} wall ${dt.toFixed(2)}s = ${(size / 1e6 / dt).toFixed(0)} MB/s; ` +
      `cpu ${cpuSec.toFixed(2)}s = ${(size / 1e6 / cpuSec).toFixed(0)} MB per CPU-second (incl. worker start); ` +
      `per worker, scan only: ${results.map((r) => `${(r.bytes / 1e6 / r.scanSec).toFixed(0)} MB/s`).join(', ')}`);
  }
}

if (isMainThread) await main();
else parentPort!.postMessage(await runPartitions(workerData as Job));
