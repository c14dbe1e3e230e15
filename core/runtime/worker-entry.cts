// The file piscina loads in each worker thread of a built package (compiled to worker-entry.cjs);
// worker-tsx.cjs is its twin for TypeScript sources. CommonJS on purpose: piscina loads a task
// file with require(), and on Node 20.19+ a require() of an ES module that is cut short because
// the pool terminates the thread (the session closed, or a task aborted, while the thread was
// still loading) aborts the whole process ("v8::Module::IsGraphAsync must be used on an
// instantiated module"). A CommonJS file never takes that path; worker.js comes in through
// import(), which a termination stops cleanly.
const loaded = import('./worker.js');

export = async function runTask(message: Parameters<Awaited<typeof loaded>['default']>[0]): Promise<unknown> {
  const mod = await loaded;
  return mod.default(message);
};
