// importUserModule: imports a user's module (a UDF, a job for `quiver explain`), TypeScript through tsx when Node cannot load it.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PlanError } from './errors.ts';

const TYPESCRIPT = /\.(ts|mts|cts|tsx)$/;

/**
 * Whether this process runs Quiver from its TypeScript sources (a checkout): whatever loads them
 * (tsx, vitest) loads the user's TypeScript as well. From a build (an installed package) it is false.
 */
const FROM_SOURCES = import.meta.url.endsWith('.ts');

let tsx: Promise<boolean> | undefined;

/**
 * Registers tsx's loader in this thread, once; false when tsx is not installed (beside Quiver or
 * in the working directory's project). It MUST run before the first import of a .ts file: Node
 * caches a failed import, so registering after a failure does not help that file.
 */
function registerTsx(): Promise<boolean> {
  tsx ??= (async () => {
    let api: { register: () => unknown } | null = null;
    try {
      api = await import('tsx/esm/api');
    } catch {
      try {
        const pkg = createRequire(join(process.cwd(), 'package.json')).resolve('tsx/package.json');
        api = await import(pathToFileURL(join(dirname(pkg), 'dist/esm/api/index.mjs')).href) as { register: () => unknown };
      } catch {
        return false;
      }
    }
    api.register();
    return true;
  })();
  return tsx;
}

/**
 * Imports `specifier` (an absolute path or a package name) for `what` (the start of an error
 * message). A TypeScript file from an installed Quiver goes through tsx when it is installed, else
 * through Node's own type stripping where it has it; otherwise a PlanError says to install tsx.
 */
export async function importUserModule(specifier: string, what: string): Promise<Record<string, unknown>> {
  const url = isAbsolute(specifier) ? pathToFileURL(specifier).href : specifier;
  if (!FROM_SOURCES && TYPESCRIPT.test(specifier)) {
    const nativeTypes = !!(process.features as { typescript?: unknown }).typescript;
    if (!(await registerTsx()) && !nativeTypes) {
      throw new PlanError(`${what}: ${specifier} is TypeScript, which Node ${process.version} cannot import by itself; install tsx beside Quiver (npm install tsx) or compile the module to JavaScript`);
    }
  }
  return await import(url) as Record<string, unknown>;
}

/** A user export's address: an absolute path or a package name, and the export's name. */
export interface ExportRef {
  readonly module: string;
  readonly export: string;
}

// One import per module and process: every task of every plan shares it.
const modules = new Map<string, Promise<Record<string, unknown>>>();

function importCached(specifier: string, where: string): Promise<Record<string, unknown>> {
  let m = modules.get(specifier);
  if (!m) {
    m = importUserModule(specifier, where);
    // A failed import is not cached: the file may appear (or be fixed) before the next try.
    m.catch(() => { if (modules.get(specifier) === m) modules.delete(specifier); });
    modules.set(specifier, m);
  }
  return m;
}

/**
 * The value of export `ref.export` of module `ref.module`, imported once per process. `where`
 * starts every error message (e.g. "mapBatches UDF 'f' from module '/x.ts'"). PlanError when
 * the path is relative, the module cannot be imported or lacks the export.
 */
export async function importExport(ref: ExportRef, where: string): Promise<unknown> {
  if (ref.module.startsWith('./') || ref.module.startsWith('../')) {
    // Relative to what? Each worker resolves from its own location, so this is never meant.
    throw new PlanError(`${where}: a relative module path cannot be loaded by workers; give an absolute path (e.g. path.resolve('${ref.module}')) or a package name`);
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importCached(ref.module, where);
  } catch (e) {
    if (e instanceof PlanError) throw e;
    // Advice only where it applies: an absolute path that exists was given as it should be.
    const hint = !isAbsolute(ref.module) ? '; give an absolute path or a package name every worker can import'
      : existsSync(ref.module) ? '' : '; no such file on this machine (every worker and executor must see it at that path)';
    throw new PlanError(`${where}: cannot import the module: ${(e as Error).message}${hint}`, { cause: e });
  }
  if (!(ref.export in mod)) {
    const names = Object.keys(mod).sort();
    throw new PlanError(`${where}: the module has no export '${ref.export}'; its exports are: ${names.length ? names.join(', ') : '(none)'}`);
  }
  return mod[ref.export];
}
