// The `quiver` command line (commander): `quiver executor` joins a cluster; more commands come with the observability work.
import { Command } from 'commander';
import { addExecutorCommand } from './executor-command.ts';

export function program(): Command {
  const p = new Command('quiver').description('Quiver: a dataflow engine for bulk inference').showHelpAfterError();
  addExecutorCommand(p);
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
