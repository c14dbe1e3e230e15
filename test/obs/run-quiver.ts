// Runs the `quiver` command (bin/quiver.mjs) as a user would, to its end: exit code, stdout, stderr.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

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
