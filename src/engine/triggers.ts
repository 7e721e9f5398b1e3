/**
 * Static `trigger:` analysis: which workflows a workflow triggers, and
 * whether following those edges comes back to where it started (A → B → A),
 * which would recurse forever. Templated targets are resolved only at run
 * time; the interpreter refuses a cycle there too.
 *
 * Pure module.
 */
import type { StageSpec, WorkflowSpec } from './spec.js';

/** Every stage in a list, nested stages included, depth first. */
export function* walkStages(stages: readonly StageSpec[]): Generator<StageSpec> {
  for (const stage of stages) {
    yield stage;
    switch (stage.kind) {
      case 'parallel':
        for (const branch of stage.branches) yield* walkStages(branch.stages);
        break;
      case 'foreach':
      case 'until':
        yield* walkStages(stage.stages);
        break;
      case 'case':
        for (const m of stage.match) yield* walkStages(m.stages);
        break;
      default:
        break;
    }
  }
}

/** Names of the workflows a workflow triggers by a literal (untemplated) name. */
export function staticTriggerTargets(spec: WorkflowSpec): string[] {
  const out = new Set<string>();
  for (const job of spec.jobs) {
    for (const stage of walkStages(job.stages)) {
      if (stage.kind === 'trigger' && !stage.trigger.includes('${{')) out.add(stage.trigger);
    }
  }
  return [...out];
}

/**
 * The first trigger cycle reachable from `root`, as a chain that starts and
 * ends with the same name (`['a', 'b', 'a']`), or `undefined`. `load` returns
 * the spec of a workflow by name, or `undefined` when it cannot be loaded
 * (that problem is reported when the trigger runs).
 */
export function findTriggerCycle(root: WorkflowSpec, load: (name: string) => WorkflowSpec | undefined): string[] | undefined {
  const specs = new Map<string, WorkflowSpec | undefined>([[root.name, root]]);
  const get = (name: string) => {
    if (!specs.has(name)) specs.set(name, load(name));
    return specs.get(name);
  };
  const done = new Set<string>();
  const path: string[] = [];
  const onPath = new Set<string>();
  // Iterative DFS: (name, next target index).
  const stack: { name: string; targets: string[]; i: number }[] = [];
  const push = (name: string) => {
    const spec = get(name);
    path.push(name);
    onPath.add(name);
    stack.push({ name, targets: spec ? staticTriggerTargets(spec) : [], i: 0 });
  };
  push(root.name);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.i >= top.targets.length) {
      stack.pop();
      path.pop();
      onPath.delete(top.name);
      done.add(top.name);
      continue;
    }
    const next = top.targets[top.i++]!;
    if (onPath.has(next)) return [...path.slice(path.indexOf(next)), next];
    if (!done.has(next)) push(next);
  }
  return undefined;
}
