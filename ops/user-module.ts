// importUserModule: imports a user's module (a mapBatches UDF, a job for `quiver explain`), TypeScript through tsx when Node cannot load it.
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
