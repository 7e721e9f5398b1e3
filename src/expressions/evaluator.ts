/**
 * Evaluator of parsed expressions, with GitHub Actions semantics.
 *
 * Pure module: safe to import from workflow code.
 */
import type { ExpressionContext, StatusAnswers } from './context.js';
import { asExpressionError, ExpressionError, ExpressionErrorCode, guard } from './errors.js';
import { defaultFilters, isBuiltinFilter, type FilterDefinition, type FilterRegistry } from './filters.js';
import { lookupFunction, FUNCTION_NAMES, type FunctionEnv } from './functions.js';
import { resolveLimits } from './limits.js';
import { arityHint, arityMessage, parseExpression, type ExpressionAst, type FilterCall, type Node, type PathNode } from './parser.js';
import { suggestionHint } from './suggest.js';
import { greaterThan, lessThan, lookup, looseEquals, starValues, truthy } from './values.js';

interface Env extends FunctionEnv {
  readonly values: Readonly<Record<string, unknown>>;
  readonly source: string;
}

/**
 * Position an offset-less error raised by a function or filter at `offset`.
 * A foreign error (not an ExpressionError) from built-in code is a tempoflow
 * bug (`internal`); from a custom filter it is an `eval` error.
 */
function positioned(error: unknown, offset: number, source: string, what: string, builtin: boolean): ExpressionError {
  if (error instanceof ExpressionError) {
    return error.offset < 0 || error.expression === '' ? error.at(offset, source) : error;
  }
  const mapped = asExpressionError(error, source);
  if (builtin || mapped.code === ExpressionErrorCode.cap) return mapped.at(offset, source);
  const message = error instanceof Error ? error.message : String(error);
  return new ExpressionError(ExpressionErrorCode.eval, `${what} failed: ${message}`, { offset, expression: source, cause: error });
}

function evaluateNode(node: Node, env: Env): unknown {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'root':
      return lookup(env.values, node.name).value;
    case 'path':
      return evaluatePath(node, env);
    case 'not':
      return !truthy(evaluateNode(node.operand, env));
    case 'compare': {
      const left = evaluateNode(node.left, env);
      const right = evaluateNode(node.right, env);
      switch (node.op) {
        case '==':
          return looseEquals(left, right);
        case '!=':
          return !looseEquals(left, right);
        case '<':
          return lessThan(left, right);
        case '<=':
          return lessThan(left, right) || looseEquals(left, right);
        case '>':
          return greaterThan(left, right);
        case '>=':
          return greaterThan(left, right) || looseEquals(left, right);
      }
      break;
    }
    case 'logical': {
      let result: unknown = null;
      for (const operand of node.operands) {
        result = evaluateNode(operand, env);
        if (node.op === '&&' ? !truthy(result) : truthy(result)) break;
      }
      return result;
    }
    case 'call': {
      const fn = lookupFunction(node.name);
      if (fn === undefined) {
        throw new ExpressionError(ExpressionErrorCode.unknownFunction, `unknown function '${node.name}'`, {
          offset: node.offset,
          expression: env.source,
          hint: suggestionHint(node.name, FUNCTION_NAMES) ?? `available functions: ${FUNCTION_NAMES.join(', ')}`,
        });
      }
      if (node.args.length < fn.minArgs || node.args.length > fn.maxArgs) {
        throw new ExpressionError(ExpressionErrorCode.arity, arityMessage('function', fn.name, node.args.length), {
          offset: node.offset,
          expression: env.source,
          hint: arityHint(fn.minArgs, fn.maxArgs),
        });
      }
      const args = node.args.map((arg) => evaluateNode(arg, env));
      try {
        return fn.call(args, env);
      } catch (error) {
        throw positioned(error, node.offset, env.source, `function '${fn.name}'`, true);
      }
    }
  }
  throw new ExpressionError(ExpressionErrorCode.internal, 'unknown expression node', { offset: 0, expression: env.source });
}

/** Property, index and `*` steps; after a `*` every step maps over the filtered array, dropping missing items. */
function evaluatePath(node: PathNode, env: Env): unknown {
  let current = evaluateNode(node.base, env);
  let filtered: unknown[] | undefined;
  for (const segment of node.segments) {
    const star = segment.type === 'star';
    const key = segment.type === 'property' ? segment.name : segment.type === 'index' ? evaluateNode(segment.index, env) : undefined;
    if (filtered === undefined) {
      if (star) filtered = starValues(current);
      else current = lookup(current, key).value;
      continue;
    }
    const next: unknown[] = [];
    for (const item of filtered) {
      if (star) {
        for (const value of starValues(item)) next.push(value);
      } else {
        const entry = lookup(item, key);
        if (entry.found) next.push(entry.value);
      }
    }
    filtered = next;
  }
  return filtered ?? current;
}

/** Resolve every filter before evaluating anything, so a bad name fails even on a short-circuited path. */
function resolveFilters(ast: ExpressionAst, registry: FilterRegistry): FilterDefinition[] {
  return ast.filters.map((call) => {
    const filter = registry.get(call.name);
    if (filter === undefined) {
      throw new ExpressionError(ExpressionErrorCode.unknownFilter, `unknown filter '${call.name}'`, {
        offset: call.offset,
        expression: ast.source,
        hint: suggestionHint(call.name, registry.names()) ?? `available filters: ${registry.names().join(', ')}`,
      });
    }
    checkFilterArity(call, filter, ast.source);
    return filter;
  });
}

function checkFilterArity(call: FilterCall, filter: FilterDefinition, source: string): void {
  if (call.args.length < filter.minArgs || call.args.length > filter.maxArgs) {
    throw new ExpressionError(ExpressionErrorCode.arity, arityMessage('filter', filter.name, call.args.length), {
      offset: call.offset,
      expression: source,
      hint: arityHint(filter.minArgs, filter.maxArgs),
    });
  }
}

/**
 * Evaluate a parsed expression against a context.
 * @throws {ExpressionError} any code except `syntax`.
 */
export function evaluateAst(ast: ExpressionAst, ctx: ExpressionContext): unknown {
  return guard(ast.source, () => {
    const limits = resolveLimits(ctx.limits);
    const registry = ctx.filters ?? defaultFilters;
    const filters = resolveFilters(ast, registry);
    const env: Env = {
      values: ctx.values ?? {},
      status: ctx.status as StatusAnswers | undefined,
      maxValueDepth: limits.maxValueDepth,
      maxStringLength: limits.maxStringLength,
      source: ast.source,
    };
    let value = evaluateNode(ast.body, env);
    ast.filters.forEach((call, i) => {
      const filter = filters[i] as FilterDefinition;
      const args = call.args.map((arg) => evaluateNode(arg, env));
      try {
        value = filter.fn(value, ...args);
      } catch (error) {
        throw positioned(error, call.offset, ast.source, `filter '${filter.name}'`, isBuiltinFilter(filter));
      }
      if (value === undefined) value = null;
    });
    return value === undefined ? null : value;
  });
}

const CACHE_SIZE = 512;
const cache = new Map<string, ExpressionAst>();

/**
 * Parse with a small bounded cache (identical sources under identical caps
 * share one immutable AST). Deterministic: the cache only saves work.
 * @internal
 */
export function parseCached(source: string, ctxLimits: ExpressionContext['limits']): ExpressionAst {
  const limits = resolveLimits(ctxLimits);
  const key = `${limits.maxLength}:${limits.maxDepth}:${source}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const ast = parseExpression(source, { limits });
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(key, ast);
  return ast;
}

/**
 * Parse and evaluate one bare expression (no `${{ }}`), returning its typed value.
 * @throws {ExpressionError} on any problem.
 */
export function evaluateExpression(source: string, ctx: ExpressionContext): unknown {
  return guard(typeof source === 'string' ? source : '', () => evaluateAst(parseCached(source, ctx.limits), ctx));
}
