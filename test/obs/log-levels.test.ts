import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..') + '/';

/** A process that starts a session with its web UI (an info line), opens the GPU device (a debug line) when GPU=1, and runs one job. */
const SCRIPT = `
  import { Quiver } from '${root}core/index.ts';
  import { getGpuDevice, closeGpuDevice } from '${root}gpu-kernels/device/index.ts';
  const q = await Quiver.local({ workers: 1, ui: 0 });
  if (process.env.GPU === '1') await getGpuDevice({ gpu: 'require' });
  console.log('count=' + await q.createDataFrame([{ x: 1 }, { x: 2 }]).count());
  await q.close();
  await closeGpuDevice();`;

// A file, not -e: the session's worker threads inherit execArgv, and --input-type breaks them.
const scriptFile = join(mkdtempSync(join(tmpdir(), 'quiver-log-')), 'levels.mts');
writeFileSync(scriptFile, SCRIPT);

interface Run { status: number | null; stdout: string; stderr: string }

/** The script under `env` (processes run side by side: each starts a session, some a GPU device). */
function run(env: Record<string, string | undefined>): Promise<Run> {
  const e = { ...process.env, ...env };
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--import', 'tsx', scriptFile], { cwd: root, env: e, timeout: 90_000 });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.once('error', rej);
    child.once('close', (status) => res({ status, stdout, stderr }));
  });
}

function ran(r: Run): Run {
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain('count=2');
  return r;
}

describe('QUIVER_LOG', () => {
  let runs: Record<'default' | 'warn' | 'debug' | 'loud', Run>;
  beforeAll(async () => {
    const [byDefault, warn, debug, loud] = await Promise.all([
      run({ QUIVER_LOG: undefined, GPU: '1' }), run({ QUIVER_LOG: 'warn' }), run({ QUIVER_LOG: 'debug', GPU: '1' }), run({ QUIVER_LOG: 'loud' }),
    ]);
    runs = { default: byDefault, warn, debug, loud };
  }, 120_000);

  it('prints info lines by default, not debug ones', () => {
    const { stderr } = ran(runs.default);
    expect(stderr).toContain('quiver: web UI at http://');
    expect(stderr).not.toContain('quiver: GPU device opened');
  });

  it('warn hides the info lines', () => {
    const { stderr } = ran(runs.warn);
    expect(stderr).not.toContain('web UI at');
  });

  it('debug shows the debug lines too, naming the device', () => {
    const { stderr } = ran(runs.debug);
    expect(stderr).toContain('quiver: web UI at http://');
    expect(stderr).toMatch(/quiver: GPU device opened: \S.*f16 (yes|no)\)/);
  });

  it('an unknown level says which ones exist and keeps info', () => {
    const { stderr } = ran(runs.loud);
    expect(stderr).toContain('QUIVER_LOG="loud" is not a log level; use debug, info, warn or error');
    expect(stderr).toContain('web UI at');
  });
});
