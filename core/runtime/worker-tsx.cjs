// Worker bootstrap when running from TypeScript sources: registers tsx, then loads worker.ts;
// worker-entry.cts is its twin for a built package.
// CommonJS on purpose. Piscina loads a task file with require(); on Node 20.19+ a require() of
// an ES module that is interrupted because the pool terminates the thread (pool closed or a
// task aborted while the thread still loads) aborts the whole process ("v8::Module::IsGraphAsync
// must be used on an instantiated module"). A CommonJS file is loaded without that path, and
// worker.ts comes in through import(), which a termination stops cleanly.
// (tsx's CommonJS API resolves its loader hooks to a path that does not exist, so it is
// imported as an ES module too.)
const loaded = import('tsx/esm/api').then(({ register }) => {
  register();
  return import('./worker.ts');
});

module.exports = async function runTask(message) {
  const mod = await loaded;
  return mod.default(message);
};
