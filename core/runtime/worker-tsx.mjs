// Worker bootstrap when running from TypeScript sources: registers tsx, then loads worker.ts.
// No top-level await: piscina first tries require() on this file, and on Node 20.19+ a require()
// of a module with top-level await fails, and piscina falls back to import(); a second task's
// require() of the same module while that import() is linking aborts the whole process
// ("v8::Module::IsGraphAsync must be used on an instantiated module"). Loading worker.ts lazily
// inside the handler keeps this module synchronous, so require() loads it once, whole.
import { register } from 'tsx/esm/api';

register();
const loaded = import('./worker.ts');

export default async function runTask(message) {
  const mod = await loaded;
  return mod.default(message);
}
