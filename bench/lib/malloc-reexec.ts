// Runs the calling bench again in a child with the quiver command's malloc settings (bin/malloc-env.mjs), unless it already has them.
import { spawnSync } from 'node:child_process';
import { withBoundedMalloc } from '../../bin/malloc-env.mjs';

/**
 * glibc reads its settings when a process starts, so a bench whose own process runs Quiver
 * (local mode beside `quiver executor` processes, which have them) starts again with them:
 * otherwise one side of a comparison allocates with huge pages and the other without. Returns
 * in the child; the parent exits with the child's status.
 */
export function reexecWithBoundedMalloc(): void {
  if (process.env.GLIBC_TUNABLES !== undefined || process.env.QUIVER_BENCH_CHILD === '1') return;
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit', env: { ...withBoundedMalloc(process.env), QUIVER_BENCH_CHILD: '1' },
  });
  process.exit(r.status ?? 1);
}

