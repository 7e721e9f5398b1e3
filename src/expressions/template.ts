/**
 * `${{ }}` templates inside strings: parsing, rendering (typed when the whole
 * string is one template), deferred namespaces, deep rendering and `if`
 * conditions.
 *
 * Pure module: safe to import from workflow code.
 */
import { analyzeAst, analyzeExpression, checkExpression, namespaceKey, type CheckOptions, type ExpressionAnalysis } from './analyze.js';
import type { ExpressionContext } from './context.js';
import { ExpressionError, ExpressionErrorCode, guard } from './errors.js';
import { evaluateAst, parseCached } from './evaluator.js';
import { resolveLimits, type ExpressionLimits } from './limits.js';
import { isPlainObject, toDisplayString, truthy } from './values.js';

/** Literal text between templates. */
export interface TextPart {
  readonly kind: 'text';
  readonly text: string;
  /** Offset of the text in the template string. */
  readonly offset: number;
}

/** One `${{ ... }}`. */
export interface ExpressionPart {
  readonly kind: 'expression';
  /** The expression between `${{` and `}}`, whitespace included. */
  readonly source: string;
  /** The whole `${{ ... }}` as written. */
  readonly raw: string;
  /** Offset of `${{` in the template string. */
  readonly offset: number;
  /** Offset of `source` in the template string (`offset + 3`). */
  readonly sourceOffset: number;
}

/** A piece of a template string. */
export type TemplatePart = TextPart | ExpressionPart;

/** Options of {@link renderTemplate} and {@link renderDeep}. */
export interface RenderOptions {
  /**
   * Root namespaces (e.g. `secrets`, see `DEFER_SECRETS`) rendered later
   * elsewhere: a template that references one, in any case, is kept
   * verbatim, `${{ ... }}` included.
   */
  readonly defer?: Iterable<string>;
}

const OPEN = '${{';

/**
 * Split `text` into literal text and `${{ ... }}` parts. A `}}` inside a
 * quoted string does not close the template.
 * @throws {ExpressionError} `syntax` on an unterminated `${{`, `cap` past `maxTemplates`.
 */
export function parseTemplate(text: string, limits?: Partial<ExpressionLimits>): TemplatePart[] {
  return guard(text, () => {
    const { maxTemplates } = resolveLimits(limits);
    const parts: TemplatePart[] = [];
    let position = 0;
    let count = 0;
    for (;;) {
      const open = text.indexOf(OPEN, position);
      if (open < 0) break;
      if (++count > maxTemplates) {
        throw new ExpressionError(ExpressionErrorCode.cap, `more than ${maxTemplates} templates in one string`, {
          offset: open,
          expression: text,
          hint: 'split the string or build it with format() or join()',
        });
      }
      let quote: string | undefined;
      let close = -1;
      for (let i = open + OPEN.length; i < text.length; i++) {
        const c = text[i];
        if (quote !== undefined) {
          if (c === quote) quote = undefined;
        } else if (c === "'" || c === '"') {
          quote = c;
        } else if (c === '}' && text[i + 1] === '}') {
          close = i;
          break;
        }
      }
      if (close < 0) {
        throw new ExpressionError(ExpressionErrorCode.syntax, "unterminated '${{'", {
          offset: open,
          expression: text,
          hint: quote !== undefined ? `close the string opened with ${quote} and end the template with '}}'` : "end the template with '}}'",
        });
      }
      if (open > position) parts.push({ kind: 'text', text: text.slice(position, open), offset: position });
      parts.push({
        kind: 'expression',
        source: text.slice(open + OPEN.length, close),
        raw: text.slice(open, close + 2),
        offset: open,
        sourceOffset: open + OPEN.length,
      });
      position = close + 2;
    }
    if (position < text.length) parts.push({ kind: 'text', text: text.slice(position), offset: position });
    return parts;
  });
}

/** Run `fn` for a template part, moving any error's position into the whole text. */
function inPart<T>(part: ExpressionPart, text: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ExpressionError && error.expression === part.source) throw error.relocate(part.sourceOffset, text);
    throw error;
  }
}

function deferSet(options: RenderOptions | undefined): Set<string> | undefined {
  if (options?.defer === undefined) return undefined;
  const set = new Set<string>();
  for (const name of options.defer) set.add(namespaceKey(name));
  return set.size === 0 ? undefined : set;
}

function isDeferred(part: ExpressionPart, text: string, ctx: ExpressionContext, defer: Set<string> | undefined): boolean {
  if (defer === undefined) return false;
  const analysis = inPart(part, text, () => analyzeAst(parseCached(part.source, ctx.limits)));
  return analysis.references.some((reference) => defer.has(namespaceKey(reference.path[0])));
}

function evaluatePart(part: ExpressionPart, text: string, ctx: ExpressionContext): unknown {
  return inPart(part, text, () => evaluateAst(parseCached(part.source, ctx.limits), ctx));
}

function render(text: string, ctx: ExpressionContext, defer: Set<string> | undefined): unknown {
  if (!text.includes(OPEN)) return text;
  const parts = parseTemplate(text, ctx.limits);
  const only = parts[0];
  if (parts.length === 1 && only !== undefined && only.kind === 'expression') {
    return isDeferred(only, text, ctx, defer) ? text : evaluatePart(only, text, ctx);
  }
  const { maxValueDepth, maxStringLength } = resolveLimits(ctx.limits);
  let out = '';
  for (const part of parts) {
    if (part.kind === 'text') out += part.text;
    else if (isDeferred(part, text, ctx, defer)) out += part.raw;
    else {
      const value = evaluatePart(part, text, ctx);
      out += inPart(part, text, () => {
        try {
          return toDisplayString(value, maxValueDepth);
        } catch (error) {
          throw error instanceof ExpressionError && error.offset < 0 ? error.at(0, part.source) : error;
        }
      });
      if (out.length > maxStringLength) {
        throw new ExpressionError(ExpressionErrorCode.cap, `rendered text is longer than ${maxStringLength} characters`, {
          offset: part.offset,
          expression: text,
          hint: 'keep large data in files and pass references',
        });
      }
    }
  }
  return out;
}

/**
 * Render the templates in `text`. When `text` is exactly one `${{ ... }}`
 * (nothing around it), the value keeps its type; otherwise each template is
 * rendered as text (bool → `true`/`false`, null → empty, number → `String`,
 * object/array → compact JSON, Date → ISO 8601) into the string. A string
 * without templates is returned unchanged. Templates that reference a
 * `defer`red namespace stay verbatim.
 * @throws {ExpressionError} with `expression` = `text` and `offset` into it.
 */
export function renderTemplate(text: string, ctx: ExpressionContext, options?: RenderOptions): unknown {
  if (typeof text !== 'string') return text;
  if (!text.includes(OPEN)) return text;
  return guard(text, () => render(text, ctx, deferSet(options)));
}

/**
 * Render every string inside `value` (arrays and plain objects, recursively;
 * keys are not rendered). Other values are returned as they are.
 * @throws {ExpressionError} on a bad template, a cycle, or nesting past `maxValueDepth`.
 */
export function renderDeep(value: unknown, ctx: ExpressionContext, options?: RenderOptions): unknown {
  const defer = deferSet(options);
  const { maxValueDepth } = resolveLimits(ctx.limits);
  const ancestors = new Set<object>();
  const walk = (v: unknown, level: number): unknown => {
    if (typeof v === 'string') return v.includes(OPEN) ? render(v, ctx, defer) : v;
    if (!Array.isArray(v) && !isPlainObject(v)) return v;
    if (level >= maxValueDepth) {
      throw new ExpressionError(ExpressionErrorCode.cap, `value is nested deeper than ${maxValueDepth} levels`, {
        hint: 'flatten the data',
      });
    }
    if (ancestors.has(v)) {
      throw new ExpressionError(ExpressionErrorCode.type, 'value contains a circular reference');
    }
    ancestors.add(v);
    try {
      if (Array.isArray(v)) {
        const out: unknown[] = [];
        for (let i = 0; i < v.length; i++) out.push(walk(Object.getOwnPropertyDescriptor(v, i)?.value, level + 1));
        return out;
      }
      const entries: [string, unknown][] = [];
      for (const key of Object.keys(v)) {
        const descriptor = Object.getOwnPropertyDescriptor(v, key);
        if (descriptor !== undefined && 'value' in descriptor) entries.push([key, walk(descriptor.value, level + 1)]);
      }
      return Object.fromEntries(entries);
    } finally {
      ancestors.delete(v);
    }
  };
  return guard('', () => walk(value, 0));
}

/** A template that renders to the text `\${{`. */
const ESCAPED_OPEN = "${{ '${{' }}";

/**
 * Makes outside text (a webhook delivery's body) inert under rendering: each
 * `\${{` becomes a template that renders to `\${{`, so rendering yields the
 * text unchanged and never evaluates what it holds.
 */
export function escapeTemplate(text: string): string {
  return text.includes(OPEN) ? text.split(OPEN).join(ESCAPED_OPEN) : text;
}

/**
 * {@link escapeTemplate} on every string inside `value` (arrays and plain
 * objects, recursively; keys are never rendered, so they stay as they are).
 * @throws {ExpressionError} `cap` past `maxValueDepth` levels of nesting.
 */
export function escapeDeep(value: unknown, limits?: Partial<ExpressionLimits>): unknown {
  const { maxValueDepth } = resolveLimits(limits);
  const walk = (v: unknown, level: number): unknown => {
    if (typeof v === 'string') return escapeTemplate(v);
    if (!Array.isArray(v) && !isPlainObject(v)) return v;
    if (level >= maxValueDepth) throw new ExpressionError(ExpressionErrorCode.cap, `value is nested deeper than ${maxValueDepth} levels`, { hint: 'flatten the data' });
    if (Array.isArray(v)) return v.map((item) => walk(item, level + 1));
    return Object.fromEntries(Object.entries(v).map(([key, item]) => [key, walk(item, level + 1)]));
  };
  return walk(value, 0);
}

function isBlank(part: TemplatePart): boolean {
  return part.kind === 'text' && part.text.trim() === '';
}

/**
 * Evaluate an `if` condition to a boolean (truthiness decides). Accepts a
 * bare expression (`params.x == 'a'`), a wrapped one (`${{ ... }}`, spaces
 * around allowed), or text mixing templates and expression syntax
 * (`"${{ params.name }}" == "foo"`): the templates are rendered first (strings
 * as they are) and the result is evaluated as an expression.
 * @throws {ExpressionError} on any problem.
 */
export function evaluateCondition(text: string, ctx: ExpressionContext): boolean {
  return guard(typeof text === 'string' ? text : '', () => {
    if (typeof text !== 'string') {
      throw new ExpressionError(ExpressionErrorCode.type, `condition must be a string, got ${typeof text}`);
    }
    if (!text.includes(OPEN)) return truthy(evaluateAst(parseCached(text, ctx.limits), ctx));
    const parts = parseTemplate(text, ctx.limits);
    const expressions = parts.filter((part): part is ExpressionPart => part.kind === 'expression');
    const only = expressions[0];
    if (expressions.length === 1 && only !== undefined && parts.every((part) => part === only || isBlank(part))) {
      return truthy(evaluatePart(only, text, ctx));
    }
    const rendered = render(text, ctx, undefined) as string;
    return truthy(evaluateAst(parseCached(rendered, ctx.limits), ctx));
  });
}

function shift(analysis: ExpressionAnalysis, delta: number): ExpressionAnalysis {
  return {
    references: analysis.references.map((r) => ({ path: r.path, offset: r.offset + delta })),
    functions: analysis.functions.map((c) => ({ ...c, offset: c.offset + delta })),
    filters: analysis.filters.map((c) => ({ ...c, offset: c.offset + delta })),
    usesStatusFunction: analysis.usesStatusFunction,
    readsNeedsResult: analysis.readsNeedsResult,
  };
}

/**
 * {@link analyzeExpression} over every template in `text`, offsets pointing
 * into `text`. A string without templates reads nothing.
 * @throws {ExpressionError} when a template does not parse.
 */
export function analyzeTemplate(text: string, limits?: Partial<ExpressionLimits>): ExpressionAnalysis {
  const merged: ExpressionAnalysis = { references: [], functions: [], filters: [], usesStatusFunction: false, readsNeedsResult: false };
  return parseTemplate(text, limits)
    .filter((part): part is ExpressionPart => part.kind === 'expression')
    .map((part) => inPart(part, text, () => shift(analyzeExpression(part.source, limits), part.sourceOffset)))
    .reduce<ExpressionAnalysis>(
      (all, one) => ({
        references: [...all.references, ...one.references],
        functions: [...all.functions, ...one.functions],
        filters: [...all.filters, ...one.filters],
        usesStatusFunction: all.usesStatusFunction || one.usesStatusFunction,
        readsNeedsResult: all.readsNeedsResult || one.readsNeedsResult,
      }),
      merged,
    );
}

/** Analyse an `if` condition in any of the forms {@link evaluateCondition} accepts. */
export function analyzeCondition(text: string, limits?: Partial<ExpressionLimits>): ExpressionAnalysis {
  return text.includes(OPEN) ? analyzeTemplate(text, limits) : analyzeExpression(text, limits);
}

/**
 * Whether an `if` condition (any form {@link evaluateCondition} accepts) calls
 * `always()`, `success()`, `failure()` or `cancelled()` — such a condition
 * replaces the default "only after success" rule.
 * @throws {ExpressionError} when it does not parse.
 */
export function conditionUsesStatusFunction(text: string): boolean {
  return analyzeCondition(text).usesStatusFunction;
}

/**
 * {@link checkExpression} over every template in `text` (offsets into
 * `text`); a template that does not parse is reported as one problem.
 */
export function checkTemplate(text: string, options: CheckOptions = {}): ExpressionError[] {
  let parts: TemplatePart[];
  try {
    parts = parseTemplate(text, options.limits);
  } catch (error) {
    return [error as ExpressionError];
  }
  return parts
    .filter((part): part is ExpressionPart => part.kind === 'expression')
    .flatMap((part) => checkExpression(part.source, options).map((e) => (e.expression === part.source ? e.relocate(part.sourceOffset, text) : e)));
}
