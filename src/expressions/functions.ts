/**
 * Built-in functions of the expression language (GitHub Actions' set, minus
 * `hashFiles`, which needs I/O). Names are case-insensitive.
 *
 * Pure module: safe to import from workflow code.
 */
import type { StatusAnswers } from './context.js';
import { ExpressionError, ExpressionErrorCode } from './errors.js';
import { foldCase, looseEquals, preview, toDisplayString, toJson } from './values.js';

/** What a function implementation can see besides its arguments. */
export interface FunctionEnv {
  /** Status answers, present only inside `if`. */
  readonly status: StatusAnswers | undefined;
  /** JSON nesting cap. */
  readonly maxValueDepth: number;
  /** Cap on the length of built strings. */
  readonly maxStringLength: number;
}

/** Throw a `cap` error when a string being built by `what` grows past the cap. @internal */
export function checkLength(length: number, env: FunctionEnv, what: string): void {
  if (length > env.maxStringLength) {
    throw new ExpressionError(ExpressionErrorCode.cap, `${what} would build a string longer than ${env.maxStringLength} characters`, {
      hint: 'keep large data in files and pass references',
    });
  }
}

/** Minimum and maximum number of arguments (`maxArgs` may be `Infinity`). */
export interface Arity {
  readonly minArgs: number;
  readonly maxArgs: number;
}

/** A built-in function. */
export interface FunctionDefinition extends Arity {
  /** Canonical spelling, used in messages and suggestions. */
  readonly name: string;
  /** One-line description. */
  readonly description: string;
  /** The implementation; throws an {@link ExpressionError} (position filled in by the evaluator). */
  readonly call: (args: readonly unknown[], env: FunctionEnv) => unknown;
}

/** The status functions, lower-cased. */
export const STATUS_FUNCTIONS: ReadonlySet<string> = new Set(['always', 'success', 'failure', 'cancelled']);

function statusOf(name: 'success' | 'failure' | 'cancelled', env: FunctionEnv): boolean {
  if (env.status === undefined) {
    throw new ExpressionError(ExpressionErrorCode.eval, `status function '${name}()' is not available here`, {
      hint: 'status functions are only available in `if`',
    });
  }
  return env.status[name];
}

function arg(args: readonly unknown[], index: number): unknown {
  return args[index] ?? null;
}

/** `format('{0} and {1}', a, b)` with `{{` / `}}` as literal braces. */
function format(args: readonly unknown[], env: FunctionEnv): string {
  const text = toDisplayString(arg(args, 0), env.maxValueDepth);
  const values = args.slice(1);
  const invalid = (at: number, why: string, hint: string): never => {
    throw new ExpressionError(ExpressionErrorCode.eval, `format string ${preview(text)} is invalid: ${why} (character ${at + 1} of the format string)`, { hint });
  };
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '{') {
      if (text[i + 1] === '{') {
        out += '{';
        i += 2;
        continue;
      }
      let j = i + 1;
      while (j < text.length && (text[j] as string) >= '0' && (text[j] as string) <= '9') j++;
      if (j === i + 1 || text[j] !== '}') {
        invalid(i, "'{' must start a placeholder such as {0}", "write {{ for a literal '{'");
      }
      const index = Number(text.slice(i + 1, j));
      if (index >= values.length) {
        const count = values.length;
        invalid(
          i,
          `{${text.slice(i + 1, j)}} refers to argument ${index} but ${count === 0 ? 'no value was' : `only ${count} value${count === 1 ? ' was' : 's were'}`} given`,
          `pass ${index + 1} value${index === 0 ? '' : 's'} after the format string`,
        );
      }
      out += toDisplayString(values[index], env.maxValueDepth);
      checkLength(out.length, env, 'format');
      i = j + 1;
      continue;
    }
    if (c === '}') {
      if (text[i + 1] === '}') {
        out += '}';
        i += 2;
        continue;
      }
      invalid(i, "unmatched '}'", "write }} for a literal '}'");
    }
    out += c;
    i++;
  }
  return out;
}

function fromJson(args: readonly unknown[]): unknown {
  const value = arg(args, 0);
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ExpressionError(ExpressionErrorCode.eval, `fromJson could not parse ${preview(value)}: ${detail}`, {
      hint: 'pass a valid JSON string',
      cause: error,
    });
  }
}

function contains(args: readonly unknown[], env: FunctionEnv): boolean {
  const search = arg(args, 0);
  const item = arg(args, 1);
  if (Array.isArray(search)) {
    for (let i = 0; i < search.length; i++) {
      if (looseEquals(Object.getOwnPropertyDescriptor(search, i)?.value, item)) return true;
    }
    return false;
  }
  return foldCase(toDisplayString(search, env.maxValueDepth)).includes(foldCase(toDisplayString(item, env.maxValueDepth)));
}

function join(args: readonly unknown[], env: FunctionEnv): string {
  const value = arg(args, 0);
  const separator = args.length > 1 ? toDisplayString(arg(args, 1), env.maxValueDepth) : ',';
  if (!Array.isArray(value)) return toDisplayString(value, env.maxValueDepth);
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; i < value.length; i++) {
    const part = toDisplayString(Object.getOwnPropertyDescriptor(value, i)?.value, env.maxValueDepth);
    length += part.length + (i > 0 ? separator.length : 0);
    checkLength(length, env, 'join');
    parts.push(part);
  }
  return parts.join(separator);
}

const DEFINITIONS: readonly FunctionDefinition[] = [
  {
    name: 'contains',
    description: 'contains(search, item): array element loosely equal to item, or case-insensitive substring',
    minArgs: 2,
    maxArgs: 2,
    call: contains,
  },
  {
    name: 'startsWith',
    description: 'startsWith(text, prefix): case-insensitive',
    minArgs: 2,
    maxArgs: 2,
    call: (args, env) => foldCase(toDisplayString(arg(args, 0), env.maxValueDepth)).startsWith(foldCase(toDisplayString(arg(args, 1), env.maxValueDepth))),
  },
  {
    name: 'endsWith',
    description: 'endsWith(text, suffix): case-insensitive',
    minArgs: 2,
    maxArgs: 2,
    call: (args, env) => foldCase(toDisplayString(arg(args, 0), env.maxValueDepth)).endsWith(foldCase(toDisplayString(arg(args, 1), env.maxValueDepth))),
  },
  {
    name: 'format',
    description: "format('{0} {1}', a, b): positional placeholders, {{ and }} for literal braces",
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    call: format,
  },
  {
    name: 'join',
    description: "join(array, separator = ','): the elements as strings",
    minArgs: 1,
    maxArgs: 2,
    call: join,
  },
  {
    name: 'toJson',
    description: 'toJson(value): pretty JSON, 2-space indent',
    minArgs: 1,
    maxArgs: 1,
    call: (args, env) => toJson(arg(args, 0), 2, env.maxValueDepth),
  },
  {
    name: 'fromJson',
    description: 'fromJson(text): the parsed JSON value; a non-string is returned unchanged',
    minArgs: 1,
    maxArgs: 1,
    call: fromJson,
  },
  { name: 'always', description: 'always(): true', minArgs: 0, maxArgs: 0, call: () => true },
  {
    name: 'success',
    description: 'success(): every need (job) or earlier stage succeeded',
    minArgs: 0,
    maxArgs: 0,
    call: (_args, env) => statusOf('success', env),
  },
  {
    name: 'failure',
    description: 'failure(): some need (job) or earlier stage failed',
    minArgs: 0,
    maxArgs: 0,
    call: (_args, env) => statusOf('failure', env),
  },
  {
    name: 'cancelled',
    description: 'cancelled(): the run was cancelled',
    minArgs: 0,
    maxArgs: 0,
    call: (_args, env) => statusOf('cancelled', env),
  },
];

const TABLE: ReadonlyMap<string, FunctionDefinition> = new Map(DEFINITIONS.map((fn) => [fn.name.toLowerCase(), fn]));

/** Canonical names of the built-in functions. */
export const FUNCTION_NAMES: readonly string[] = Object.freeze(DEFINITIONS.map((fn) => fn.name));

/** The arity table of the built-in functions, keyed by canonical name (for `checkExpression`). */
export const FUNCTION_ARITIES: Readonly<Record<string, Arity>> = Object.freeze(Object.fromEntries(DEFINITIONS.map((fn) => [fn.name, { minArgs: fn.minArgs, maxArgs: fn.maxArgs }])));

/** The built-in function called `name` (case-insensitive), if any. */
export function lookupFunction(name: string): FunctionDefinition | undefined {
  return TABLE.get(name.toLowerCase());
}
