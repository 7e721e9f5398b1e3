/**
 * Static analysis of expressions: what they read and call, without
 * evaluating them. Used by `validate` and by the job decision.
 *
 * Pure module: safe to import from workflow code.
 */
import { ExpressionError, ExpressionErrorCode, guard } from './errors.js';
import { defaultFilters, type FilterRegistry } from './filters.js';
import { FUNCTION_ARITIES, STATUS_FUNCTIONS, type Arity } from './functions.js';
import type { ExpressionLimits } from './limits.js';
import { arityHint, arityMessage, parseExpression, type ExpressionAst, type Node } from './parser.js';
import { suggestionHint } from './suggest.js';

/** A property path read by an expression: the root name, then static keys and `*` (stops at the first computed index). */
export interface Reference {
  readonly path: readonly (string | '*')[];
  /** Offset of the root name. */
  readonly offset: number;
}

/**
 * The name of a namespace as a key: roots are case-insensitive, as in GitHub
 * Actions (`Secrets.X` reads the `secrets` namespace).
 */
export function namespaceKey(root: unknown): string {
  return String(root).toLowerCase();
}

/** A function or filter call found in an expression. */
export interface CallSite {
  /** The name as written. */
  readonly name: string;
  /** Number of arguments passed. */
  readonly args: number;
  /** Offset of the name. */
  readonly offset: number;
}

/** What an expression reads and calls. */
export interface ExpressionAnalysis {
  readonly references: readonly Reference[];
  readonly functions: readonly CallSite[];
  readonly filters: readonly CallSite[];
  /** It calls `always()`, `success()`, `failure()` or `cancelled()`. */
  readonly usesStatusFunction: boolean;
  /** It reads `needs.<job>.result`, `needs.<job>.outcome`, `needs.*.result` or `needs.*.outcome`. */
  readonly readsNeedsResult: boolean;
}

function staticKey(node: Node): string | undefined {
  if (node.kind !== 'literal') return undefined;
  if (typeof node.value === 'string') return node.value;
  if (typeof node.value === 'number') return String(node.value);
  return undefined;
}

/** Collect references, calls and filters of a parsed expression. */
export function analyzeAst(ast: ExpressionAst): ExpressionAnalysis {
  const references: Reference[] = [];
  const functions: CallSite[] = [];
  const filters: CallSite[] = [];

  const visit = (node: Node): void => {
    switch (node.kind) {
      case 'literal':
        return;
      case 'root':
        references.push({ path: [node.name], offset: node.offset });
        return;
      case 'path': {
        let path: (string | '*')[] | undefined = node.base.kind === 'root' ? [node.base.name] : undefined;
        if (path === undefined) visit(node.base);
        for (const segment of node.segments) {
          if (segment.type === 'index') {
            visit(segment.index);
            const key = staticKey(segment.index);
            if (path !== undefined) {
              if (key === undefined) {
                references.push({ path, offset: node.offset });
                path = undefined;
              } else path.push(key);
            }
          } else if (path !== undefined) {
            path.push(segment.type === 'star' ? '*' : segment.name);
          }
        }
        if (path !== undefined) references.push({ path, offset: node.offset });
        return;
      }
      case 'not':
        visit(node.operand);
        return;
      case 'compare':
        visit(node.left);
        visit(node.right);
        return;
      case 'logical':
        node.operands.forEach(visit);
        return;
      case 'call':
        functions.push({ name: node.name, args: node.args.length, offset: node.offset });
        node.args.forEach(visit);
        return;
    }
  };

  visit(ast.body);
  for (const filter of ast.filters) {
    filters.push({ name: filter.name, args: filter.args.length, offset: filter.offset });
    filter.args.forEach(visit);
  }
  references.sort((a, b) => a.offset - b.offset);
  return {
    references,
    functions,
    filters,
    usesStatusFunction: functions.some((fn) => STATUS_FUNCTIONS.has(fn.name.toLowerCase())),
    readsNeedsResult: references.some(readsNeedsResult),
  };
}

function readsNeedsResult(reference: Reference): boolean {
  const [root, , field] = reference.path;
  if (root === undefined || namespaceKey(root) !== 'needs' || field === undefined) return false;
  const name = field.toLowerCase();
  return name === 'result' || name === 'outcome';
}

/**
 * Parse `source` (a bare expression) and report what it reads and calls.
 * Unknown functions are not errors here (see {@link checkExpression}).
 * @throws {ExpressionError} `syntax` or `cap` when it does not parse.
 */
export function analyzeExpression(source: string, limits?: Partial<ExpressionLimits>): ExpressionAnalysis {
  return guard(source, () => analyzeAst(parseExpression(source, { checkFunctions: false, ...(limits !== undefined ? { limits } : {}) })));
}

/** Options of {@link checkExpression}. */
export interface CheckOptions {
  /** Known functions and their arities, by name (case-insensitive); defaults to the built-ins. */
  readonly knownFunctions?: Readonly<Record<string, Arity>>;
  /** Known filters; defaults to the built-in registry. */
  readonly filters?: FilterRegistry;
  readonly limits?: Partial<ExpressionLimits>;
}

/**
 * Every problem in `source` found without evaluating it: a syntax or cap
 * error (alone, since nothing else can be checked then), unknown functions
 * and filters (with "did you mean"), and wrong arities. Empty when fine.
 */
export function checkExpression(source: string, options: CheckOptions = {}): ExpressionError[] {
  let ast: ExpressionAst;
  try {
    ast = guard(source, () => parseExpression(source, { checkFunctions: false, ...(options.limits !== undefined ? { limits: options.limits } : {}) }));
  } catch (error) {
    return [error as ExpressionError];
  }
  const known = new Map<string, { name: string } & Arity>();
  for (const [name, arity] of Object.entries(options.knownFunctions ?? FUNCTION_ARITIES)) {
    known.set(name.toLowerCase(), { name, minArgs: arity.minArgs, maxArgs: arity.maxArgs });
  }
  const registry = options.filters ?? defaultFilters;
  const analysis = analyzeAst(ast);
  const problems: ExpressionError[] = [];
  const knownNames = [...known.values()].map((fn) => fn.name);
  for (const call of analysis.functions) {
    const fn = known.get(call.name.toLowerCase());
    if (fn === undefined) {
      problems.push(
        new ExpressionError(ExpressionErrorCode.unknownFunction, `unknown function '${call.name}'`, {
          offset: call.offset,
          expression: source,
          hint: suggestionHint(call.name, knownNames) ?? `available functions: ${knownNames.join(', ')}`,
        }),
      );
    } else if (call.args < fn.minArgs || call.args > fn.maxArgs) {
      problems.push(
        new ExpressionError(ExpressionErrorCode.arity, arityMessage('function', fn.name, call.args), {
          offset: call.offset,
          expression: source,
          hint: arityHint(fn.minArgs, fn.maxArgs),
        }),
      );
    }
  }
  for (const call of analysis.filters) {
    const filter = registry.get(call.name);
    if (filter === undefined) {
      problems.push(
        new ExpressionError(ExpressionErrorCode.unknownFilter, `unknown filter '${call.name}'`, {
          offset: call.offset,
          expression: source,
          hint: suggestionHint(call.name, registry.names()) ?? `available filters: ${registry.names().join(', ')}`,
        }),
      );
    } else if (call.args < filter.minArgs || call.args > filter.maxArgs) {
      problems.push(
        new ExpressionError(ExpressionErrorCode.arity, arityMessage('filter', filter.name, call.args), {
          offset: call.offset,
          expression: source,
          hint: arityHint(filter.minArgs, filter.maxArgs),
        }),
      );
    }
  }
  return problems.sort((a, b) => a.offset - b.offset);
}
