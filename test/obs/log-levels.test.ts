import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..') + '/';

/** A process that starts a session with its web UI (an info line), opens the GPU device (a debug line) and runs one job. */
const SCRIPT = `
  import { Quiver } from '${root}core/index.ts';
  import { getGpuDevice, closeGpuDevice } from '${root}gpu-kernels/device/index.ts';
  const q = await Quiver.local({ workers: 1, ui: 0 });
  await getGpuDevice({ gpu: 'require' });
  console.log('count=' + await q.createDataFrame([{ x: 1 }, { x: 2 }]).count());
  await q.close();
  await closeGpuDevice();`;

// A file, not -e: the session's worker threads inherit execArgv, and --input-type breaks them.
const scriptFile = join(mkdtempSync(join(tmpdir(), 'quiver-log-')), 'levels.mts');
writeFileSync(scriptFile, SCRIPT);

function run(env: Record<string, string | undefined>): { stdout: string; stderr: string } {
  const e = { ...process.env, ...env };
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  const r = spawnSync(process.execPath, ['--import', 'tsx', scriptFile], { cwd: root, env: e, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain('count=2');
  return { stdout: r.stdout, stderr: r.stderr };
}

describe('QUIVER_LOG', () => {
  it('prints info lines by default, not debug ones', () => {
    const { stderr } = run({ QUIVER_LOG: undefined });
    expect(stderr).toContain('quiver: web UI at http://');
    expect(stderr).not.toContain('quiver: GPU device opened');
  });

  it('warn hides the info lines', () => {
    const { stderr } = run({ QUIVER_LOG: 'warn' });
    expect(stderr).not.toContain('web UI at');
  });

  it('debug shows the debug lines too, naming the device', () => {
    const { stderr } = run({ QUIVER_LOG: 'debug' });
    expect(stderr).toContain('quiver: web UI at http://');
    expect(stderr).toMatch(/quiver: GPU device opened: \S.*f16 (yes|no)\)/);
  });

  it('an unknown level says which ones exist and keeps info', () => {
    const { stderr } = run({ QUIVER_LOG: 'loud' });
    expect(stderr).toContain('QUIVER_LOG="loud" is not a log level; use debug, info, warn or error');
    expect(stderr).toContain('web UI at');
  });
});
