// Runs the `quiver` command in a child process whose stderr passes through a filter that drops Dawn's two harmless lavapipe limit warnings.
//
// Why a child: Dawn prints "Warning: maxDynamic...PerPipelineLayout artificially reduced" with
// fprintf(stderr) inside requestAdapter, once per thread that opens a device; no Dawn toggle,
// create() flag or Mesa variable stops it, and Node has no dup2 to point fd 2 at a filter in
// this process (closing and reopening fd 2 could lose a crash report). A child whose fd 2 is a
// pipe loses nothing: every other byte is copied to our stderr, unchanged and in order.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { withBoundedMalloc } from './malloc-env.mjs';

/** Exactly Dawn's limit-clamping lines (lavapipe reports 1,000,000 dynamic buffers; Dawn caps them). */
export const DAWN_LIMIT_WARNING = /^Warning: maxDynamic\w+PerPipelineLayout artificially reduced from \d+ to \d+[^\n]*$/;

/** The environment variable set in the child, so that it does not relaunch itself. */
const FILTERED = 'QUIVER_STDERR_FILTERED';

/**
 * A line filter for a byte stream: `push` whole lines that are not Dawn's warnings to `write`
 * as they arrive (a partial line waits for its end, or for `end()`).
 */
export function dawnWarningFilter(write) {
  let pending = '';
  return {
    push(chunk) {
      const text = pending + chunk.toString('utf8');
      const lines = text.split('\n');
      pending = lines.pop();
      const kept = lines.filter((l) => !DAWN_LIMIT_WARNING.test(l));
      if (kept.length) write(kept.join('\n') + '\n');
    },
    end() {
      if (pending && !DAWN_LIMIT_WARNING.test(pending)) write(pending);
      pending = '';
    },
  };
}

/**
 * In the parent: runs this same command in a child with the filter on its stderr and returns its
 * exit code (128 + n when a signal ended it). Returns null when the filter is off — already in
 * the child, or `QUIVER_LOG=debug` (show everything) — and the caller runs the command itself.
 *
 * The child MUST end with the parent: it has an IPC channel and exits when that closes, so a
 * `kill -9` of the parent (a supervisor, a test) does not leave it running. SIGTERM and SIGHUP
 * are passed on, and SIGINT too unless stdin is a terminal: there Ctrl-C already reaches both
 * processes (one foreground process group), and a second SIGINT would cut the child's shutdown.
 */
export async function runFiltered(script, args) {
  if (process.env[FILTERED] === '1' || process.env.QUIVER_LOG === 'debug') return null;
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
    stdio: ['inherit', 'inherit', 'pipe', 'ipc'],
    env: { ...withBoundedMalloc(process.env), [FILTERED]: '1' },
  });
  const filter = dawnWarningFilter((s) => process.stderr.write(s));
  child.stderr.on('data', (b) => filter.push(b));
  const pass = (sig) => () => child.kill(sig);
  const handlers = { SIGTERM: pass('SIGTERM'), SIGHUP: pass('SIGHUP'), SIGINT: process.stdin.isTTY ? () => {} : pass('SIGINT') };
  for (const [sig, h] of Object.entries(handlers)) process.on(sig, h);
  const [code, signal] = await new Promise((res, rej) => {
    child.once('error', rej);
    child.once('close', (c, s) => res([c, s]));
  });
  filter.end();
  for (const [sig, h] of Object.entries(handlers)) process.off(sig, h);
  return code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1);
}

/** In the child: exit when the parent's channel closes (the parent is gone), and do not let the channel keep it alive. */
export function endWithParent() {
  if (process.env[FILTERED] !== '1' || !process.channel) return;
  process.channel.unref();
  process.once('disconnect', () => process.exit(129));
}
