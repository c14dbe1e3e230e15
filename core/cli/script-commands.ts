// `quiver demo`, `quiver train` and `quiver bench <name>`: the repository's example jobs and benchmarks, with their flags documented.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { runRepoScript } from './run-script.ts';

/** Benchmarks by name: script and what it measures. */
export const BENCHMARKS: Record<string, { script: string; about: string }> = {
  tagging: { script: 'bench/photo-tagging.ts', about: 'photo tagging end to end (read IDX -> predict -> write Parquet), images/s per device, onnxruntime beside it; flags: --runs N, --no-1m, --model DIR' },
  kernels: { script: 'bench/kernels.ts', about: 'every kernel on every backend, and the MLP against onnxruntime and tfjs-webgpu; flags: --runs N, --images N, --batches LIST, --big, --no-sweep, --no-mlp, --no-gpu, --out DIR' },
  logs: { script: 'bench/log-analytics.ts', about: 'top-5 paths and a two-key group-by over a generated access log, against DuckDB and the shell; flags: --lines N, --runs N, --workers N, --no-shell' },
  tasks: { script: 'bench/scheduling.ts', about: 'scheduling overhead: 10,000 tiny tasks in local mode; flags: --tasks N, --runs N' },
  cluster: { script: 'bench/cluster.ts', about: 'cluster mode (a driver and 2 executor processes over NATS) against local mode, shuffle transfer, a job with an executor killed; flags: --lines N, --runs N, --parts LIST (see bench/cluster.ts)' },
};

const number = (v: string): string => {
  if (!Number.isFinite(Number(v))) throw new InvalidArgumentError('expected a number');
  return v;
};

/** `--name value` pairs for the options the user gave (commander's camelCase keys mapped back to flags). */
function flags(o: Record<string, unknown>, names: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [key, flag] of Object.entries(names)) {
    const v = o[key];
    if (v === undefined || v === false) continue;
    out.push(`--${flag}`);
    if (v !== true) out.push(String(v));
  }
  return out;
}

export function addScriptCommands(p: Command): void {
  p.command('demo')
    .summary('tag all 70,000 Fashion-MNIST images with the committed model, with progress and the web UI')
    .description('the main job: tag all 70,000 Fashion-MNIST images with the committed model in local mode, with progress bars and the web UI; prints images/s, accuracy and a confusion matrix, writes out/tags.parquet (runs examples/photo-tagging.ts)')
    .addOption(new Option('--device <device>', 'where predict runs').choices(['auto', 'cpu', 'gpu']).default('auto'))
    .option('--model <dir>', 'model directory (default: the committed models/fmnist-mlp)')
    .option('--out <path>', 'Parquet file to write (default out/tags.parquet)')
    .option('--events <dir>', 'event log directory, for `quiver ui --events` (default out/events)')
    .option('--quiet', 'no progress bars, no web UI address')
    .option('--no-ui', 'do not serve the web UI')
    .option('--wait', 'keep the web UI up after the job, until Ctrl-C')
    .option('--servers <urls>', 'run on the executors of a cluster (NATS URLs, comma-separated) instead of local worker threads')
    .option('--token <token>', 'the cluster\'s NATS token (with --servers)')
    .action(async (o: Record<string, unknown>) => {
      const args = flags({ ...o, noUi: o.ui === false }, { device: 'device', model: 'model', out: 'out', events: 'events', quiet: 'quiet', noUi: 'no-ui', wait: 'wait', servers: 'servers', token: 'token' });
      await runRepoScript('examples/photo-tagging.ts', args, 'demo');
    });

  p.command('train')
    .summary('retrain models/fmnist-mlp on Fashion-MNIST and write its model card')
    .description('retrain models/fmnist-mlp (MLP 784-300-100-10) on Fashion-MNIST, data-parallel over the worker pool, and write it with its model card (runs examples/train-fmnist.ts)')
    .option('--epochs <n>', 'epochs (default 12)', number)
    .option('--batch <n>', 'batch size (default 256)', number)
    .option('--lr <rate>', 'learning rate (default 0.001)', number)
    .option('--decay <factor>', 'learning-rate decay per epoch (default 0.85)', number)
    .option('--seed <n>', 'random seed (default 1)', number)
    .option('--out <dir>', 'model directory to write (default models/fmnist-mlp)')
    .action(async (o: Record<string, unknown>) => {
      await runRepoScript('examples/train-fmnist.ts', flags(o, { epochs: 'epochs', batch: 'batch', lr: 'lr', decay: 'decay', seed: 'seed', out: 'out' }), 'train');
    });

  p.command('bench')
    .summary(`run a benchmark (${Object.keys(BENCHMARKS).join(', ')}): tables and charts`)
    .description('run a benchmark of the repository; it prints tables and writes charts (SVG and PNG) beside them under bench/results')
    .addHelpText('after', `\nBenchmarks:\n${Object.entries(BENCHMARKS).map(([n, b]) => `  ${n}: ${b.about}`).join('\n')}`)
    .argument('<name>', `one of: ${Object.keys(BENCHMARKS).join(', ')}`)
    .argument('[flags...]', 'passed to the benchmark (see below)')
    .allowUnknownOption()
    .passThroughOptions()
    .action(async (name: string, rest: string[]) => {
      const b = BENCHMARKS[name];
      if (!b) throw new InvalidArgumentError(`unknown benchmark '${name}': use one of ${Object.keys(BENCHMARKS).join(', ')}`);
      await runRepoScript(b.script, rest, `bench ${name}`);
    });
}
