// What an executor lets a driver's stage plan touch: files only under its declared directories, user code only from installed packages or its UDF directories.
import { realpathSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlanError } from '../../ops/errors.ts';
import { imageCodec } from '../../ops/sources/index.ts';
import { udfRefsIn } from '../../ops/udf-registry.ts';
import { physChildren, type PhysNode, type Stage } from '../physical/phys-node.ts';

/**
 * An executor's own limits, set when it starts; a driver cannot widen them. Roots are real
 * paths (symlinks resolved); an empty `readRoots` means the executor reads no files at all.
 */
export interface ExecutorPolicy {
  executorId: string;
  /** Directories whose files tasks may read, and where they may write (df.write output, bad records): --paths. */
  readRoots: readonly string[];
  /** Directories whose modules mapBatches may import, besides installed packages: --udf-path. */
  udfRoots: readonly string[];
}

/** An npm package specifier (optionally with a subpath): no scheme, no relative or absolute path, no '..'. */
const PACKAGE = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*(\/[A-Za-z0-9._~-]+)*$/;

/**
 * The real path of `p` (symlinks resolved) even when it does not exist yet: the nearest existing
 * ancestor is resolved and the rest appended, so a planted symlink cannot lead out of a root.
 */
export function realPathOf(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(realPathOf(parent), basename(abs));
  }
}

/** Checks an executor's --paths / --udf-path list and returns the real paths; refuses relative paths and the file system root. */
export function normalizeRoots(list: readonly string[] | undefined, flag: string): string[] {
  return (list ?? []).filter((p) => p.trim() !== '').map((p) => {
    if (!isAbsolute(p)) throw new PlanError(`${flag} takes absolute directories, got '${p}'; pass e.g. ${resolve(p)}`);
    const real = realPathOf(p);
    if (real === sep || real === resolve(sep)) {
      throw new PlanError(`${flag} ${p} would let every driver read any file on this host; name the directories that hold the data, models or UDFs instead`);
    }
    return real;
  });
}

function under(real: string, roots: readonly string[]): string | undefined {
  return roots.find((r) => real === r || real.startsWith(r.endsWith(sep) ? r : r + sep));
}

function refuse(p: ExecutorPolicy, what: string, path: string, roots: readonly string[], flag: string): never {
  const allowed = roots.length
    ? `it reads only under ${roots.join(', ')} (${flag})`
    : `it was started without ${flag}, so it ${flag === '--paths' ? 'reads no files' : 'imports UDFs only from installed packages'}`;
  throw new PlanError(`executor ${p.executorId} refuses to ${what} '${path}': ${allowed}; start it with ${flag} naming the directory that holds it`);
}

/** A file a task reads or writes must lie under one of the executor's read roots. */
function checkPath(p: ExecutorPolicy, what: string, path: unknown, roots = p.readRoots, flag = '--paths'): void {
  if (typeof path !== 'string' || !isAbsolute(path)) {
    throw new PlanError(`executor ${p.executorId} refuses to ${what} ${JSON.stringify(path)}: plans name files by absolute path`);
  }
  if (!under(realPathOf(path), roots)) refuse(p, what, path, roots, flag);
}

/**
 * A mapBatches module: an installed package (resolved from this install, never a Node.js
 * built-in), or an absolute path under a UDF root. Never a data:, http: or file: URL.
 */
export function checkUdfModule(p: ExecutorPolicy, spec: string, what = 'mapBatches'): void {
  if (isAbsolute(spec)) {
    if (!under(realPathOf(spec), p.udfRoots)) refuse(p, `import the ${what} module`, spec, p.udfRoots, '--udf-path');
    return;
  }
  const why = (reason: string) => new PlanError(`executor ${p.executorId} refuses to import the ${what} module '${spec.slice(0, 200)}': ${reason}; executors import UDFs only from installed packages or from directories given with --udf-path`);
  if (!PACKAGE.test(spec) || spec.split('/').some((part) => part === '.' || part === '..')) throw why('it is neither an installed package name nor an absolute path');
  if (isBuiltin(spec)) throw why('it is a Node.js built-in module');
  const file = resolvePackage(spec);
  if (file === null) throw why('no such package is installed here');
  if (!file.split(sep).includes('node_modules')) throw why('it does not resolve to an installed package');
}

/** The file an installed package specifier resolves to from this install (as the workers will import it), or null. */
function resolvePackage(spec: string): string | null {
  try {
    const url = import.meta.resolve(spec);
    return url.startsWith('file:') ? fileURLToPath(url) : null;
  } catch {
    // Some loaders (test runners) lack import.meta.resolve: ask CommonJS resolution instead.
    try {
      return createRequire(import.meta.url).resolve(spec);
    } catch {
      return null;
    }
  }
}

/**
 * Walks a validated stage as task `partition` runs it and refuses anything outside the
 * executor's policy (a PlanError: the job fails, it is not retried). Only the splits this
 * partition reads are checked: a stage may read files other executors hold.
 */
export function checkStage(stage: Stage, partition: number, p: ExecutorPolicy): void {
  // UDFs and UDAFs in expressions, anywhere in the stage: every task may call them.
  for (const r of udfRefsIn(stage.root)) checkUdfModule(p, r.udf.module, r.kind === 'udf' ? 'UDF' : 'UDAF');
  const visit = (n: PhysNode, part: number): void => {
    switch (n.op) {
      case 'scan': {
        const s = n.splits[part];
        if (s) {
          checkPath(p, 'read', s.path);
          if (s.pair !== undefined) checkPath(p, 'read', s.pair);
          if (s.files !== undefined) {
            if (!Array.isArray(s.files)) throw new PlanError(`executor ${p.executorId} refuses a scan split whose files are not a list`);
            for (const f of s.files) checkPath(p, 'read', f);
          }
        }
        // Image scans run libvips on the workers: this (their parent) thread keeps it loaded (see imageCodec).
        if (n.format === 'images') imageCodec();
        if (typeof n.options.labels === 'string') checkPath(p, 'read', n.options.labels);
        if (n.options.badRecordsPath != null) checkPath(p, 'write bad records under', n.options.badRecordsPath);
        return;
      }
      case 'union': {
        // Partition p of a union is partition p - (partitions of the children before it) of one child.
        let local = part;
        for (let i = 0; i < n.children.length; i++) {
          if (local < (n.partitionCounts[i] ?? 0)) { visit(n.children[i], local); return; }
          local -= n.partitionCounts[i] ?? 0;
        }
        return;
      }
      case 'mapBatches':
        checkUdfModule(p, n.udf.module);
        break;
      case 'predict':
        checkPath(p, 'load the model', n.spec.modelPath, [...p.readRoots, ...p.udfRoots], '--paths');
        // Decoding a binary column's images runs libvips on the workers: this thread keeps it loaded (see imageCodec).
        if (n.spec.decode) imageCodec();
        break;
      case 'write':
        // Part files go under <path>/_temporary/<jobToken>/: the output directory must lie under --paths, as inputs do.
        checkPath(p, 'write files under', n.path);
        break;
      default:
        break;
    }
    for (const c of physChildren(n)) visit(c, part);
  };
  visit(stage.root, partition);
}
