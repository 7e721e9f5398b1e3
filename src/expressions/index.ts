/**
 * The `${{ }}` expression language of tempoflow (docs/yaml-format.md "Expressions").
 *
 * GitHub Actions grammar and semantics — literals, property paths with `.`,
 * `[...]`, hyphenated names and the `*` object filter, `! < <= > >= == != &&
 * ||`, case-insensitive functions with an arity table, loose equality and
 * truthiness — plus ddeutil-style filters after the expression
 * (`${{ params.day | fmt('%Y-%m-%d') | upper }}`) and a registry for filters
 * written in TypeScript.
 *
 * Everything here is pure and deterministic (no I/O, clock, randomness,
 * locale or `eval`) so it runs unchanged inside Temporal workflow code.
 * Parse, evaluate and render only ever throw {@link ExpressionError}, whose
 * `code`, `offset` and message say what is wrong, where, and how to fix it;
 * caps on length, nesting and template count bound the work on hostile input.
 *
 * Typical use:
 * ```ts
 * renderTemplate('${{ params.name }}-${{ matrix.region }}', { values: { params, matrix } });
 * evaluateCondition("needs.build.result == 'failure'", { values: { needs }, status });
 * ```
 *
 * @module
 */
export { ExpressionError, ExpressionErrorCode, type ExpressionErrorOptions } from './errors.js';
export type { ExpressionContext, StatusAnswers } from './context.js';
export { DEFAULT_LIMITS, HARD_MAX_DEPTH, HARD_MAX_VALUE_DEPTH, resolveLimits, type ExpressionLimits } from './limits.js';
export { tokenize, TokenType, type Token } from './lexer.js';
export {
  parseExpression,
  type CallNode,
  type CompareNode,
  type CompareOp,
  type ExpressionAst,
  type FilterCall,
  type LiteralNode,
  type LogicalNode,
  type Node,
  type NotNode,
  type ParseOptions,
  type PathNode,
  type RootNode,
  type Segment,
} from './parser.js';
export { evaluateAst, evaluateExpression } from './evaluator.js';
export { FUNCTION_ARITIES, FUNCTION_NAMES, STATUS_FUNCTIONS, lookupFunction, type Arity, type FunctionDefinition, type FunctionEnv } from './functions.js';
export { BUILTIN_FILTER_NAMES, FilterRegistry, defaultFilters, type FilterDefinition, type FilterFunction, type FilterOptions } from './filters.js';
export {
  analyzeCondition,
  analyzeTemplate,
  checkTemplate,
  conditionUsesStatusFunction,
  evaluateCondition,
  parseTemplate,
  renderDeep,
  escapeDeep,
  escapeTemplate,
  renderTemplate,
  type ExpressionPart,
  type RenderOptions,
  type TemplatePart,
  type TextPart,
} from './template.js';
export { analyzeAst, analyzeExpression, namespaceKey, checkExpression, type CallSite, type CheckOptions, type ExpressionAnalysis, type Reference } from './analyze.js';
export { DEFER_SECRETS, isSecretsRoot, MASK, maskSecretTemplates, SECRETS_NAMESPACE, secretKey, secretNamesIn, secretReads, type SecretReads } from './secrets.js';
export { didYouMean, levenshtein, suggestionHint } from './suggest.js';
export { looseEquals, toDisplayString, toJson, truthy } from './values.js';
export { parseIsoDateTime, strftime, type DateTimeParts } from './datetime.js';
