// `quiver explain FILE.ts`: prints the logical, optimized and physical plans of the DataFrame a file builds, without running it.
import { InvalidArgumentError, type Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { PlanError } from '../../ops/errors.ts';
import { importUserModule } from '../../ops/user-module.ts';
import type { DataFrame } from '../api/dataframe.ts';
import { Quiver } from '../api/quiver.ts';

const CONTRACT = "export a function that builds a DataFrame from a Quiver, e.g. `export default (q) => q.read.text('access.log').limit(5)`";

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

export function addExplainCommand(p: Command): void {
  p.command('explain')
    .summary("print the plans of the DataFrame a file builds, without running it")
    .description(`print the plans (logical, optimized, physical stages, predict placement and why) of the DataFrame FILE builds, without running it. FILE must ${CONTRACT}; a named export can be chosen with --export`)
    .argument('<file>', 'TypeScript or JavaScript module')
    .option('--export <name>', 'the export to call', 'default')
    .option('--workers <n>', 'worker threads assumed for planning (default: one per core)', positiveInt)
    .action(async (file: string, o: { export: string; workers?: number }) => {
      const path = resolve(file);
      if (!existsSync(path)) throw new PlanError(`explain: ${file} does not exist`);
      const mod = await importUserModule(path, 'explain');
      const build = mod[o.export];
      if (typeof build !== 'function') {
        throw new PlanError(`explain: ${file} has no ${o.export === 'default' ? 'default export' : `export '${o.export}'`} that is a function; ${CONTRACT}`);
      }
      // Nothing runs: no UI, no progress. Placement of predict may calibrate the model briefly.
      const options = { workers: o.workers, ui: false, quiet: true };
      const q = await Quiver.local(options);
      try {
        const df = await (build as (q: Quiver) => unknown)(q) as DataFrame;
        // Duck-typed: the file may import Quiver through another path (the package, a build).
        if (!df || typeof df.explain !== 'function') throw new PlanError(`explain: ${file}'s ${o.export} export returned ${df === null ? 'null' : typeof df}, not a DataFrame; ${CONTRACT}`);
        console.log(await df.explain());
      } finally {
        await q.close();
      }
    });
}
