// Process hygiene: after q.close() a process exits by itself, promptly, with no worker thread left running.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = resolve(ROOT, 'test/fixtures/engine/close-exits.ts');

interface Run { code: number | null; signal: string | null; stdout: string; stderr: string; msFromCloseToExit: number | null }

/** Runs the fixture with tsx; kills it (and reports no exit code) if it is still alive after `limitMs`. */
function runChild(mode: string, limitMs: number): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, mode], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', closedAt: number | null = null;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (closedAt === null && stdout.includes('closed\n')) closedAt = performance.now();
    });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr, msFromCloseToExit: closedAt === null ? null : performance.now() - closedAt });
    });
  });
}

describe('process hygiene', () => {
  it('a process exits by itself soon after q.close(): after jobs, a failed job and a close mid-job, or with no job at all', async () => {
    const modes = ['jobs', 'idle'];
    const runs = await Promise.all(modes.map((m) => runChild(m, 45_000)));
    runs.forEach((r, i) => {
      expect(r.signal, `${modes[i]}: killed while still running; stderr: ${r.stderr}`).toBeNull();
      expect(r.code, `${modes[i]}: ${r.stderr}`).toBe(0);
      expect(r.msFromCloseToExit, modes[i]).not.toBeNull();
      expect(r.msFromCloseToExit!, modes[i]).toBeLessThan(3000);
    });
    const [jobs, idle] = runs.map((r) => JSON.parse(r.stdout.split('\n')[0]));
    expect(jobs).toEqual({
      mode: 'jobs',
      groups: 5000,
      failed: 'DataError DATA_ERROR: refused a batch of 25000 rows',
      running: 'ResourceError RESOURCE_ERROR: this Quiver session was closed while the job was running; close it only after its jobs finish',
      after: 'ResourceError RESOURCE_ERROR: this Quiver session is closed; create a new one with Quiver.local()',
    });
    expect(idle).toEqual({ mode: 'idle' });
  });
});
