// Runs a script of the repository (an example or a benchmark) in a child Node process through tsx, as `npm run` would.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PlanError } from '../../ops/errors.ts';

/** `rel` under the repository root (from the sources, core/cli/; or from a build, dist/core/cli/), or null. */
export function repoFile(rel: string): string | null {
  for (const root of [resolve(import.meta.dirname, '../..'), resolve(import.meta.dirname, '../../..')]) {
    const f = resolve(root, rel);
    if (existsSync(f)) return f;
  }
  return null;
}

/**
 * Runs `rel` with `args`, stdio inherited, and resolves with its exit code (set as this
 * process's exit code when not 0: the script has printed its own error). Ctrl-C reaches the
 * script (it is in the same process group); this process waits for it to finish.
 */
export async function runRepoScript(rel: string, args: readonly string[], command: string): Promise<number> {
  const script = repoFile(rel);
  if (!script) {
    throw new PlanError(`${command} runs ${rel} from a checkout of the Quiver repository, which this installation does not include; run it in a clone of the repository`);
  }
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = spawn(process.execPath, ['--import', tsx, script, ...args], { stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals) => () => { child.kill(sig); };
  const onInt = forward('SIGINT'), onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    const code = await new Promise<number>((res, rej) => {
      child.once('error', rej);
      child.once('exit', (c, signal) => res(c ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)));
    });
    if (code !== 0) process.exitCode = code;
    return code;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
