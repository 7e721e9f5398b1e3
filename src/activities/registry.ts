/**
 * The caller registry: TypeScript functions that `uses: tasks/<name>@<tag>`
 * stages call. Task modules export definitions made with {@link defineTask};
 * the worker imports the modules named by `WORKFLOW_CORE_REGISTRY_CALLER`
 * (or its `taskModules` option) into a {@link TaskRegistry}, and the
 * `usesStage` activity resolves, validates and runs them.
 *
 * ```ts
 * import { z } from 'zod';
 * import { defineTask } from 'tempoflow';
 *
 * export const greet = defineTask({
 *   name: 'greet',
 *   tag: 'v1',
 *   with: z.object({ who: z.string() }),
 *   run: ({ who }, ctx) => ({ message: `hello ${who} from ${ctx.job}` }),
 * });
 * ```
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { didYouMean } from '../expressions/suggest.js';

/** What a task sees besides its validated `with:` arguments. */
export interface TaskContext {
  /** Aborts when the stage is cancelled or its `timeout` fires; stop promptly. */
  readonly signal: AbortSignal;
  /** Records progress; the activity also heartbeats on its own every second. */
  heartbeat(details?: unknown): void;
  /** 1-based attempt of the stage's `retry:` loop (`TF_ATTEMPT`). */
  readonly attempt: number;
  /** The job workspace (`$TF_WORKSPACE`), created before the task runs. */
  readonly workspace: string;
  readonly runId: string;
  readonly job: string;
  readonly stage: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** The matrix combination, `{}` outside a matrix. */
  readonly matrix: Readonly<Record<string, unknown>>;
  /** The environment a `bash` stage would get (worker env, `env:`, `TF_*`), e.g. for subprocesses. */
  readonly env: Readonly<Record<string, string>>;
  /** Appends a line to the run's trace file, prefixed `[WORKFLOW] [JOB] [STAGE]`. */
  log(message: string): void;
}

/** A registered task. Make one with {@link defineTask}. */
export interface TaskDefinition<S extends z.ZodType = z.ZodType> {
  /** `[A-Za-z0-9][A-Za-z0-9_.-]*`; the `<name>` of `tasks/<name>@<tag>`. */
  readonly name: string;
  /** `[A-Za-z0-9][A-Za-z0-9_.+-]*`, matched exactly (no `latest` magic). */
  readonly tag: string;
  /** Schema of the stage's `with:` map; a mismatch fails the stage at once, without retries. */
  readonly with: S;
  readonly description?: string;
  /**
   * The task. Its returned object (JSON-serialisable, ≤ 64 KB as JSON) is
   * the stage's outputs; `void` means `{}`. A thrown error fails the attempt
   * (retried per `retry:`), unless it is a non-retryable `ApplicationFailure`.
   */
  run(args: z.infer<S>, ctx: TaskContext): Promise<Record<string, unknown> | void> | Record<string, unknown> | void;
}

/**
 * Marks definitions made by {@link defineTask}. `Symbol.for`, so a task
 * module that resolves its own copy of tempoflow is still recognised.
 */
const TASK_BRAND: unique symbol = Symbol.for('tempoflow.task') as never;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

/** A task definition that cannot be registered (bad name, tag, schema or duplicate). Thrown by `defineTask` and `register`. */
export class TaskDefinitionError extends Error {
  override readonly name = 'TaskDefinitionError';
}

/** A task module that cannot be imported or exports no task. Thrown by `TaskRegistry.load`. */
export class TaskModuleError extends Error {
  override readonly name = 'TaskModuleError';
  constructor(
    message: string,
    /** The module as given. */
    readonly module: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function checkDefinition(def: TaskDefinition<z.ZodType>): void {
  const label = typeof def?.name === 'string' ? `task '${def.name}'` : 'task';
  if (typeof def !== 'object' || def === null) throw new TaskDefinitionError('defineTask expects an object { name, tag, with, run }');
  if (typeof def.name !== 'string' || !NAME_PATTERN.test(def.name)) {
    throw new TaskDefinitionError(`${label}: name must match ${NAME_PATTERN.source}, got ${JSON.stringify(def.name)}`);
  }
  if (typeof def.tag !== 'string' || !TAG_PATTERN.test(def.tag)) {
    throw new TaskDefinitionError(`${label}: tag must match ${TAG_PATTERN.source}, got ${JSON.stringify(def.tag)}`);
  }
  if (typeof (def.with as { safeParseAsync?: unknown } | undefined)?.safeParseAsync !== 'function') {
    throw new TaskDefinitionError(`${label}: 'with' must be a zod schema, e.g. z.object({ ... })`);
  }
  if (typeof def.run !== 'function') throw new TaskDefinitionError(`${label}: 'run' must be a function`);
}

/**
 * Declares a task for the registry. Validates the name and tag, and brands
 * the (frozen) definition so `TaskRegistry.load` finds it among a module's
 * exports.
 */
export function defineTask<S extends z.ZodType>(def: TaskDefinition<S>): TaskDefinition<S> {
  checkDefinition(def as unknown as TaskDefinition<z.ZodType>);
  const task = { ...def };
  Object.defineProperty(task, TASK_BRAND, { value: true, enumerable: false });
  return Object.freeze(task);
}

/** True for definitions made by {@link defineTask}. */
export function isTaskDefinition(value: unknown): value is TaskDefinition {
  return typeof value === 'object' && value !== null && (value as { [TASK_BRAND]?: unknown })[TASK_BRAND] === true;
}

/** `tasks/<name>@<tag>` of a definition. */
export function taskReference(def: Pick<TaskDefinition, 'name' | 'tag'>): string {
  return `tasks/${def.name}@${def.tag}`;
}

/** A parsed `uses:` value, or why it is malformed. */
export function parseUses(uses: string): { name: string; tag: string } | { error: string } {
  const form = 'write tasks/<name>@<tag>, e.g. tasks/load-data@v1';
  if (typeof uses !== 'string' || !uses.startsWith('tasks/')) return { error: `uses '${String(uses)}' is not a task reference; ${form}` };
  const rest = uses.slice('tasks/'.length);
  const at = rest.lastIndexOf('@');
  if (at < 0) return { error: `uses '${uses}' has no tag; ${form}` };
  const name = rest.slice(0, at);
  const tag = rest.slice(at + 1);
  if (!NAME_PATTERN.test(name)) return { error: `uses '${uses}': task name '${name}' must match ${NAME_PATTERN.source}; ${form}` };
  if (!TAG_PATTERN.test(tag)) return { error: `uses '${uses}': tag '${tag}' must match ${TAG_PATTERN.source}; ${form}` };
  return { name, tag };
}

/** Whether `spec` names a file rather than a package. */
function isPathSpecifier(spec: string, cwd: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec) || /\.(?:[cm]?[jt]s|tsx|jsx)$/.test(spec) || existsSync(resolve(cwd, spec));
}

/** The URL to import for a module specifier: files from `cwd`, packages from `cwd`'s `node_modules` first. */
export function taskModuleUrl(spec: string, cwd: string): string {
  if (spec.startsWith('file:')) return spec;
  if (isPathSpecifier(spec, cwd)) return pathToFileURL(resolve(cwd, spec)).href;
  try {
    return pathToFileURL(createRequire(join(cwd, 'package.json')).resolve(spec)).href;
  } catch {
    return spec; // an ESM-only package, or one tempoflow itself can resolve
  }
}

/** The tasks a worker can run, by `name@tag`. */
export class TaskRegistry {
  private readonly tasks = new Map<string, TaskDefinition>();

  /** Imports each module and registers every task it exports. */
  static async load(modules: readonly string[], options: { cwd?: string } = {}): Promise<TaskRegistry> {
    const registry = new TaskRegistry();
    await registry.importModules(modules, options);
    return registry;
  }

  /**
   * Registers a task. Registering the same definition twice is a no-op;
   * another definition under a taken `name@tag` is a `TaskDefinitionError`.
   */
  register(def: TaskDefinition): this {
    if (!isTaskDefinition(def)) checkDefinition(def);
    const key = `${def.name}@${def.tag}`;
    const existing = this.tasks.get(key);
    if (existing && existing !== def) throw new TaskDefinitionError(`task ${taskReference(def)} is registered twice`);
    this.tasks.set(key, def);
    return this;
  }

  /** Every registered task, sorted by name then tag. */
  list(): TaskDefinition[] {
    return [...this.tasks.values()].sort((a, b) => (a.name === b.name ? a.tag.localeCompare(b.tag) : a.name.localeCompare(b.name)));
  }

  /** The task `uses` names, or an error message (malformed, unknown, with a "did you mean"). */
  resolve(uses: string): TaskDefinition | { error: string } {
    const parsed = parseUses(uses);
    if ('error' in parsed) return parsed;
    const found = this.tasks.get(`${parsed.name}@${parsed.tag}`);
    if (found) return found;
    const known = this.list();
    if (known.length === 0) {
      return { error: `unknown task '${uses}': no tasks are registered on this worker (name task modules in WORKFLOW_CORE_REGISTRY_CALLER or the worker's taskModules)` };
    }
    const tags = known.filter((t) => t.name === parsed.name).map((t) => t.tag);
    if (tags.length > 0) {
      return { error: `unknown task '${uses}': '${parsed.name}' has tag${tags.length > 1 ? 's' : ''} ${tags.join(', ')} (tags match exactly)` };
    }
    const refs = known.map(taskReference);
    const bestKey = didYouMean(
      `${parsed.name}@${parsed.tag}`,
      known.map((t) => `${t.name}@${t.tag}`),
    );
    const bestName =
      bestKey === undefined
        ? didYouMean(
            parsed.name,
            known.map((t) => t.name),
          )
        : undefined;
    const best = bestKey !== undefined ? `tasks/${bestKey}` : bestName !== undefined ? taskReference(known.find((t) => t.name === bestName)!) : undefined;
    const hint = best === undefined ? '' : `; did you mean '${best}'?`;
    const listed = refs.length > 20 ? `${refs.slice(0, 20).join(', ')}, … (${refs.length} in all)` : refs.join(', ');
    return { error: `unknown task '${uses}'${hint} (registered: ${listed})` };
  }

  /**
   * Imports each module (relative paths from `cwd`, default the process's;
   * `.ts` files work under tsx) and registers the tasks among its exports:
   * definitions, arrays of them, and a default export that is a definition,
   * an array, or an object of definitions.
   */
  async importModules(modules: readonly string[], options: { cwd?: string } = {}): Promise<this> {
    const cwd = options.cwd ?? process.cwd();
    for (const spec of modules) {
      let ns: Record<string, unknown>;
      try {
        ns = (await import(taskModuleUrl(spec, cwd))) as Record<string, unknown>;
      } catch (err) {
        const code = (err as { code?: unknown } | null)?.code;
        const hint = code === 'ERR_UNKNOWN_FILE_EXTENSION' ? ' (run the worker under tsx, e.g. `node --import tsx`, or compile the module to .js)' : '';
        throw new TaskModuleError(`cannot load task module '${spec}': ${err instanceof Error ? err.message : String(err)}${hint}`, spec, { cause: err });
      }
      const found = new Set<TaskDefinition>();
      const collect = (value: unknown, depth: number): void => {
        if (isTaskDefinition(value)) found.add(value);
        else if (Array.isArray(value)) for (const v of value) collect(v, depth);
        else if (depth === 0 && typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
          for (const v of Object.values(value)) collect(v, depth + 1);
        }
      };
      for (const [key, value] of Object.entries(ns)) collect(value, key === 'default' ? 0 : 1);
      if (found.size === 0) {
        throw new TaskModuleError(`task module '${spec}' exports no task (export definitions made with defineTask)`, spec);
      }
      try {
        for (const def of found) this.register(def);
      } catch (err) {
        throw new TaskModuleError(`task module '${spec}': ${err instanceof Error ? err.message : String(err)}`, spec, { cause: err });
      }
    }
    return this;
  }
}

/** Module specifiers from `WORKFLOW_CORE_REGISTRY_CALLER` (comma-separated). */
export function taskModulesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.WORKFLOW_CORE_REGISTRY_CALLER ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
