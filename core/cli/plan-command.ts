// `quiver plan --events DIR --target 14000/s`: the capacity planner on the command line (sizing for a target, or a what-if with --executors/--workers/--gpus).
import type { Command } from 'commander';
import { planCapacity, planText } from '../capacity/index.ts';

interface PlanFlags {
  events: string[]; target?: string; latencyP99?: string; devices?: string;
  executors?: string; workers?: string; gpus?: string; cores?: string; shufflePartitions?: string; batchRecords?: string; maxUtilization?: string; seed?: string; json?: boolean;
}

export function addPlanCommand(p: Command): void {
  p.command('plan')
    .summary('capacity planning from measured stage costs: workers/executors/GPUs for a target rate, or what a configuration achieves')
    .description('fit per-stage service times from the event logs of real runs (--events), then answer: with --target, the workers/executors/GPUs each stage needs (M/G/c queues in tandem, checked by simulation), its utilization, queue length and p99 latency, and the bottleneck; with --executors/--workers/--gpus, the predicted throughput and latency of that configuration (default: the one measured)')
    .requiredOption('--events <dir>', 'event log directory of a real run (the eventLog option), or a .jsonl file; repeatable', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--target <rate>', 'input records per second to sustain, e.g. 14000/s, 14k/s, 1.2M/day')
    .option('--latency-p99 <time>', 'end-to-end p99 to meet at the target, e.g. 2s, 500ms')
    .option('--devices <list>', 'devices the answer may use: cpu, gpu or cpu,gpu (default: those measured)')
    .option('--executors <n>', 'what-if: executors (default: as measured)')
    .option('--workers <n>', 'what-if: worker threads per executor (default: as measured)')
    .option('--gpus <n>', 'what-if: GPUs in all (default: 1 if a stage ran on a GPU)')
    .option('--cores <n>', 'what-if: CPU cores the worker slots share, all executors together (default: a core per slot)')
    .option('--shuffle-partitions <n>', 'what-if: tasks of the stages that read a shuffle (default: 2 per worker, as Quiver does)')
    .option('--batch-records <n>', 'records per task in the pipelined model (default: a first-stage task\'s mean input rows as measured)')
    .option('--max-utilization <u>', 'utilization no stage may pass when sizing, between 0 and 1', '0.8')
    .option('--seed <n>', 'simulation seed', '1')
    .option('--json', 'print the plan as JSON')
    .action((o: PlanFlags) => {
      const plan = planCapacity({
        events: o.events, target: o.target, latencyP99: o.latencyP99, devices: o.devices,
        executors: o.executors, workers: o.workers, gpus: o.gpus, cores: o.cores, shufflePartitions: o.shufflePartitions, batchRecords: o.batchRecords,
        maxUtilization: Number(o.maxUtilization), seed: Number(o.seed),
      });
      console.log(o.json ? JSON.stringify(plan, null, 2) : planText(plan));
    });
}
