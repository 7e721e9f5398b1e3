/**
 * How tempoflow's workflow code is bundled: every bundle of it (the packaged
 * `dist/workflow-bundle.js`, a worker bundling the sources at start, the test
 * suite's, the benchmarks') uses these options.
 *
 * The workflow code is preloaded: the SDK's reusable V8 context evaluates its
 * modules once per workflow thread and shares them between the workflow
 * executions it runs, instead of evaluating every module again for each one
 * (a run, a matrix combination's child, a job child: docs/benchmarks.md,
 * "Modules evaluated once"). That is safe because the workflow modules keep no
 * per-execution state at module level: what a run knows lives in the objects
 * its entry function creates. The module-level caches there are pure (the
 * expression parser's AST cache, bounded; a WeakMap keyed by one job's input),
 * and the SDK freezes the exported objects of shared modules, so a change to
 * one fails loudly instead of leaking into another execution. New workflow
 * code must keep it so (ARCHITECTURE.md, "Invariants").
 */

/** Bundler options (`bundleWorkflowCode`, or a worker's `workflowsPath` and `bundlerOptions`) for the workflow code whose entry module is `workflowsPath`. */
export function workflowBundleOptions(workflowsPath: string): { workflowsPath: string; preloadModules: string[] } {
  return { workflowsPath, preloadModules: [workflowsPath] };
}
