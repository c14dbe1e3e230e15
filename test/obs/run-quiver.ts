// Runs the `quiver` command as a user would, to its end: exit code, stdout, stderr (as a process, or main() in this one).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { vi } from 'vitest';
import { main } from '../../core/cli/main.ts';

export const QUIVER_BIN = resolve(import.meta.dirname, '../../bin/quiver.mjs');

export function runQuiver(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [QUIVER_BIN, ...args], { env: { ...process.env, ...env } });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', rej);
    p.on('close', (code) => res({ code, out, err }));
  });
}

/** main() in this process, its console output captured: the quick way to check a command's errors. */
export async function runQuiverInProcess(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => { out.push(a.join(' ')); });
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => { err.push(a.join(' ')); });
  try {
    await main(['node', 'quiver', ...args]);
    return { code: Number(process.exitCode ?? 0), out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    process.exitCode = undefined;
  }
}
