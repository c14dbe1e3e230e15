// A stage's identity across runs: its operator tree as explain prints it, without what changes from run to run (ids, split and partition counts, placement reasons).

/**
 * The operators text of a stage (the jobPlan event's `operators`) with run-specific numbers
 * replaced by `*`: two runs of the same job on other data sizes or worker counts give the same
 * signature, so their tasks are fitted together. Stages MUST be matched by this, never by their
 * number (stage 1 of one job is not stage 1 of another).
 */
export function stageSignature(operators: string): string {
  return operators
    .replace(/\b(splits|shuffle|broadcast|partitions|cache)=[^\s\],)]+/g, '$1=*')
    .replace(/^(\s*MemoryScanExec: )\S+/gm, '$1*')
    // Predict's placement reason quotes measured speeds; the device stays part of the identity.
    .replace(/(device=\w+(?: backend=[\w-]+)?) \((?:[^()]|\([^()]*\))*\)/g, '$1');
}
