// Cluster test helpers: executor processes on loopback (killable with SIGKILL), and waiting for conditions.
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import type { ExecutorOptions } from '../../core/cluster/executor.ts';

const FIXTURE = resolve(import.meta.dirname, '../fixtures/cluster/executor.ts');
/** The tests' UDF modules: executors import mapBatches modules only from --udf-path directories (or installed packages). */
export const FIXTURES = resolve(import.meta.dirname, '../fixtures');

export interface ExecutorProcess {
  id: string;
  proc: ChildProcess;
  /** Everything it printed (stdout and stderr). */
  output(): string;
  /** Crash: SIGKILL, no goodbye. */
  kill9(): Promise<void>;
  /** Graceful: SIGTERM, finishes its tasks and leaves. */
  stop(): Promise<void>;
  /** What it holds: drivers with state, stored outputs, running tasks. */
  state(): Promise<{ drivers: number; outputs: number; running: number }>;
}

/**
 * An executor process. Unless `o` says otherwise it may import the fixtures' UDFs and read files
 * under the temp directory (where the tests write their data): executors read nothing else.
 */
export async function startExecutor(o: ExecutorOptions, env: Record<string, string> = {}): Promise<ExecutorProcess> {
  o = { udfPaths: [FIXTURES], paths: [tmpdir()], ...o };
  const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify(o)], {
    stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env },
  });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const id = await new Promise<string>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`executor did not join in 60 s:\n${out}`)), 60_000);
    const check = () => {
      const m = /joined (\S+)/.exec(out);
      if (m) { clearTimeout(t); res(m[1]); }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => { clearTimeout(t); rej(new Error(`executor exited (${code}) before joining:\n${out}`)); });
  });
  return {
    id, proc,
    output: () => out,
    async kill9() { if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGKILL'); await exited; } },
    async stop() { if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGTERM'); await exited; } },
    async state() {
      const before = out.length;
      proc.stdin!.write('state\n');
      await until(() => /state drivers=\d+ outputs=\d+ running=\d+/.test(out.slice(before)), 10_000);
      const m = /state drivers=(\d+) outputs=(\d+) running=(\d+)/.exec(out.slice(before))!;
      return { drivers: Number(m[1]), outputs: Number(m[2]), running: Number(m[3]) };
    },
  };
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 20_000, what: string | (() => string) = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    // A function is called at the timeout: what a child process printed by then, not when the wait began.
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
