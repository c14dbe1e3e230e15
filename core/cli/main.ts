// The `quiver` command line (commander): demo, tag, train, bench, explain, ui, plan, executor and nats-config, each with --help; errors in one line (stacks with --verbose).
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { addExecutorCommand } from './executor-command.ts';
import { addExplainCommand } from './explain-command.ts';
import { addNatsConfigCommand } from './nats-config-command.ts';
import { addPlanCommand } from './plan-command.ts';
import { repoFile } from './run-script.ts';
import { addScriptCommands } from './script-commands.ts';
import { addTagCommand } from './tag-command.ts';
import { addUiCommand } from './ui-command.ts';

function version(): string {
  const pkg = repoFile('package.json');
  try {
    return pkg ? (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export function program(): Command {
  const p = new Command('quiver')
    .description('Quiver: a Spark-like dataflow engine for bulk inference (Apache Arrow, worker threads, WebGPU). Run `quiver <command> --help` for a command\'s options.')
    .version(version(), '-V, --version')
    // Documented here; main() takes it out before parsing, so it works before or after a command.
    .option('--verbose', 'print the stack trace with an error')
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)');
  addScriptCommands(p);
  addTagCommand(p);
  addExplainCommand(p);
  addUiCommand(p);
  addPlanCommand(p);
  addExecutorCommand(p);
  addNatsConfigCommand(p);
  // Every subcommand points at --help after a usage error, as the top level does.
  for (const c of p.commands) c.showHelpAfterError(`(run quiver ${c.name()} --help for usage)`);
  p.addHelpText('after', '\nExamples:\n  quiver demo\n  quiver tag --model models/fmnist-mlp --input /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz --output out/tags.parquet\n  quiver ui --events out/events\n  quiver plan --events out/events --target 14000/s --latency-p99 2s\n  quiver explain my-job.ts\n  quiver bench tagging --runs 5');
  return p;
}

export async function main(argv: string[]): Promise<void> {
  const verbose = argv.includes('--verbose');
  try {
    await program().parseAsync(argv.filter((a) => a !== '--verbose'));
  } catch (e) {
    // One clear line; the stack only with --verbose.
    console.error(`quiver: ${(e as Error).message}`);
    if (verbose) console.error((e as Error).stack);
    process.exitCode = 1;
  }
}
