/**
 * Parser of the `${{ }}` expression language into an immutable AST.
 *
 * Grammar (lowest precedence first):
 * ```
 * expression := logical ( '|' name ( '(' args? ')' )? )*
 * logical    := and ( '||' and )*
 * and        := equality ( '&&' equality )*
 * equality   := compare ( ( '==' | '!=' ) compare )*
 * compare    := unary ( ( '<' | '<=' | '>' | '>=' ) unary )*
 * unary      := '!'* postfix
 * postfix    := primary ( '.' ( name | '*' ) | '[' ( '*' | logical ) ']' )*
 * primary    := literal | name | name '(' args? ')' | '(' logical ')'
 * ```
 *
 * Pure module: safe to import from workflow code.
 */
import { ExpressionError, ExpressionErrorCode, guard } from './errors.js';
import { lookupFunction, FUNCTION_NAMES } from './functions.js';
import { tokenize, TokenType, type Token } from './lexer.js';
import { resolveLimits, type ExpressionLimits } from './limits.js';
import { suggestionHint } from './suggest.js';

/** Fields every AST node has. */
interface NodeBase {
  /** 0-based index of the node's first character in the source. */
  readonly offset: number;
  /** 0-based index just past the node's last character. */
  readonly end: number;
  /** Height of the subtree (a leaf is 1); bounded by `maxDepth`. */
  readonly depth: number;
}

/** `'text'`, `"text"`, `12`, `true`, `false`, `null`. */
export interface LiteralNode extends NodeBase {
  readonly kind: 'literal';
  readonly value: string | number | boolean | null;
}

/** A root namespace name (`params`, `needs`, ...). */
export interface RootNode extends NodeBase {
  readonly kind: 'root';
  readonly name: string;
}

/** One step of a property path. */
export type Segment =
  | { readonly type: 'property'; readonly name: string; readonly offset: number }
  | { readonly type: 'index'; readonly index: Node; readonly offset: number }
  | { readonly type: 'star'; readonly offset: number };

/** `base.a['b'][0].*.c`: property, index and `*` steps applied to a base value. */
export interface PathNode extends NodeBase {
  readonly kind: 'path';
  readonly base: Node;
  readonly segments: readonly Segment[];
}

/** `!operand`. */
export interface NotNode extends NodeBase {
  readonly kind: 'not';
  readonly operand: Node;
}

/** Comparison operators. */
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** `left op right` for a comparison operator. */
export interface CompareNode extends NodeBase {
  readonly kind: 'compare';
  readonly op: CompareOp;
  readonly left: Node;
  readonly right: Node;
  /** Offset of the operator. */
  readonly opOffset: number;
}

/** `a && b && c` or `a || b || c` (flattened; returns an operand value, short-circuits). */
export interface LogicalNode extends NodeBase {
  readonly kind: 'logical';
  readonly op: '&&' | '||';
  readonly operands: readonly Node[];
}

/** `name(args)`: a function call. */
export interface CallNode extends NodeBase {
  readonly kind: 'call';
  /** The name as written. */
  readonly name: string;
  readonly args: readonly Node[];
}

/** Any expression node. */
export type Node = LiteralNode | RootNode | PathNode | NotNode | CompareNode | LogicalNode | CallNode;

/** `| name(args)`: one filter applied to the value on its left. */
export interface FilterCall {
  /** The name as written. */
  readonly name: string;
  readonly args: readonly Node[];
  /** Offset of the filter name. */
  readonly offset: number;
  readonly end: number;
}

/** A parsed expression: the body, then its filters in application order. */
export interface ExpressionAst {
  readonly source: string;
  readonly body: Node;
  readonly filters: readonly FilterCall[];
}

/** Options of {@link parseExpression}. */
export interface ParseOptions {
  readonly limits?: Partial<ExpressionLimits>;
  /**
   * Check function names and arities against the built-in table while
   * parsing (default true). Static analysis turns this off to collect every
   * problem instead of stopping at the first.
   */
  readonly checkFunctions?: boolean;
}

const COMPARE_OPS: ReadonlySet<TokenType> = new Set<TokenType>([TokenType.Lt, TokenType.Le, TokenType.Gt, TokenType.Ge]);
const KEYWORDS: ReadonlyMap<string, boolean | null> = new Map<string, boolean | null>([
  ['true', true],
  ['false', false],
  ['null', null],
]);

class Parser {
  private readonly tokens: Token[];
  private position = 0;
  private nesting = 0;

  constructor(
    private readonly source: string,
    private readonly limits: ExpressionLimits,
    private readonly checkFunctions: boolean,
  ) {
    this.tokens = tokenize(source);
  }

  parse(): ExpressionAst {
    if (this.peek().type === TokenType.End) {
      this.fail('empty expression', 0, "write a value such as 'text', 42 or params.name");
    }
    const body = this.parseLogical();
    const filters: FilterCall[] = [];
    while (this.peek().type === TokenType.Pipe) {
      this.next();
      filters.push(this.parseFilter());
    }
    const rest = this.peek();
    if (rest.type !== TokenType.End) {
      this.fail(`unexpected ${describe(rest)}`, rest.offset, this.hintAfterValue(rest));
    }
    return { source: this.source, body, filters };
  }

  private hintAfterValue(token: Token): string {
    if (token.type === TokenType.RParen) return "remove it or add the matching '('";
    if (token.type === TokenType.RBracket) return "remove it or add the matching '['";
    if (token.type === TokenType.Word || token.type === TokenType.String || token.type === TokenType.Number) {
      return "join values with an operator (== != < <= > >= && ||) or a filter ('|')";
    }
    return 'expected an operator or the end of the expression';
  }

  private parseFilter(): FilterCall {
    const name = this.peek();
    if (name.type !== TokenType.Word) {
      this.fail(`expected a filter name after '|', found ${describe(name)}`, name.offset, "write e.g. '| upper' or '| fmt('%Y-%m-%d')'; use '||' for 'or'");
    }
    this.next();
    let args: Node[] = [];
    let end = name.end;
    if (this.peek().type === TokenType.LParen) {
      const open = this.next();
      const call = this.parseArguments(open);
      args = call.args;
      end = call.end;
    }
    return { name: name.text, args, offset: name.offset, end };
  }

  private parseLogical(): Node {
    return this.parseChain(TokenType.Or, '||', () => this.parseChain(TokenType.And, '&&', () => this.parseEquality()));
  }

  private parseChain(type: TokenType, op: '&&' | '||', operand: () => Node): Node {
    const first = operand();
    if (this.peek().type !== type) return first;
    const operands = [first];
    while (this.peek().type === type) {
      this.next();
      operands.push(operand());
    }
    const last = operands[operands.length - 1] as Node;
    return this.node<LogicalNode>({ kind: 'logical', op, operands, offset: first.offset, end: last.end, depth: 1 + maxDepth(operands) });
  }

  private parseEquality(): Node {
    let left = this.parseCompare();
    for (;;) {
      const op = this.peek();
      if (op.type !== TokenType.Eq && op.type !== TokenType.Ne) return left;
      this.next();
      const right = this.parseCompare();
      left = this.compare(op, left, right);
    }
  }

  private parseCompare(): Node {
    let left = this.parseUnary();
    for (;;) {
      const op = this.peek();
      if (!COMPARE_OPS.has(op.type)) return left;
      this.next();
      const right = this.parseUnary();
      left = this.compare(op, left, right);
    }
  }

  private compare(op: Token, left: Node, right: Node): CompareNode {
    return this.node<CompareNode>({
      kind: 'compare',
      op: op.type as CompareOp,
      left,
      right,
      opOffset: op.offset,
      offset: left.offset,
      end: right.end,
      depth: 1 + Math.max(left.depth, right.depth),
    });
  }

  private parseUnary(): Node {
    const nots: Token[] = [];
    while (this.peek().type === TokenType.Not) {
      const not = this.next();
      nots.push(not);
      this.enter(not);
    }
    let node = this.parsePostfix();
    for (let i = nots.length - 1; i >= 0; i--) {
      const not = nots[i] as Token;
      node = this.node<NotNode>({ kind: 'not', operand: node, offset: not.offset, end: node.end, depth: node.depth + 1 });
    }
    this.nesting -= nots.length;
    return node;
  }

  private parsePostfix(): Node {
    const base = this.parsePrimary();
    const segments: Segment[] = [];
    let end = base.end;
    let depth = base.depth;
    for (;;) {
      const token = this.peek();
      if (token.type === TokenType.Dot) {
        this.next();
        const name = this.peek();
        if (name.type === TokenType.Word) {
          this.next();
          segments.push({ type: 'property', name: name.text, offset: name.offset });
          end = name.end;
        } else if (name.type === TokenType.Star) {
          this.next();
          segments.push({ type: 'star', offset: name.offset });
          end = name.end;
        } else {
          this.fail(`expected a property name or '*' after '.', found ${describe(name)}`, name.offset, "write e.g. needs.build.result, or use ['key'] for other keys");
        }
      } else if (token.type === TokenType.LBracket) {
        this.next();
        if (this.peek().type === TokenType.Star && this.peekAt(1).type === TokenType.RBracket) {
          const star = this.next();
          end = this.next().end;
          segments.push({ type: 'star', offset: star.offset });
          continue;
        }
        this.enter(token);
        const index = this.parseLogical();
        this.nesting--;
        end = this.expect(TokenType.RBracket, token, "close the index with ']'").end;
        depth = Math.max(depth, index.depth);
        segments.push({ type: 'index', index, offset: token.offset });
      } else {
        break;
      }
    }
    if (segments.length === 0) return base;
    return this.node<PathNode>({ kind: 'path', base, segments, offset: base.offset, end, depth: depth + 1 });
  }

  private parsePrimary(): Node {
    const token = this.peek();
    switch (token.type) {
      case TokenType.String:
      case TokenType.Number:
        this.next();
        return { kind: 'literal', value: token.value as string | number, offset: token.offset, end: token.end, depth: 1 };
      case TokenType.Word: {
        this.next();
        if (this.peek().type === TokenType.LParen) return this.parseCall(token);
        if (KEYWORDS.has(token.text)) {
          return { kind: 'literal', value: KEYWORDS.get(token.text) ?? null, offset: token.offset, end: token.end, depth: 1 };
        }
        return { kind: 'root', name: token.text, offset: token.offset, end: token.end, depth: 1 };
      }
      case TokenType.LParen: {
        this.next();
        this.enter(token);
        const inner = this.parseLogical();
        this.nesting--;
        this.expect(TokenType.RParen, token, "close the group with ')'");
        return inner;
      }
      default:
        return this.fail(
          token.type === TokenType.End ? 'expression ends where a value is expected' : `expected a value, found ${describe(token)}`,
          token.offset,
          "write a value such as 'text', 42, true, null, params.name or a function call",
        );
    }
  }

  private parseCall(name: Token): CallNode {
    const open = this.next();
    if (this.checkFunctions) {
      const fn = lookupFunction(name.text);
      if (fn === undefined) {
        this.fail(
          `unknown function '${name.text}'`,
          name.offset,
          suggestionHint(name.text, FUNCTION_NAMES) ?? `available functions: ${FUNCTION_NAMES.join(', ')}`,
          ExpressionErrorCode.unknownFunction,
        );
      }
    }
    const { args, end } = this.parseArguments(open);
    if (this.checkFunctions) {
      const fn = lookupFunction(name.text);
      if (fn !== undefined && (args.length < fn.minArgs || args.length > fn.maxArgs)) {
        this.fail(arityMessage('function', fn.name, args.length), name.offset, arityHint(fn.minArgs, fn.maxArgs), ExpressionErrorCode.arity);
      }
    }
    return this.node<CallNode>({ kind: 'call', name: name.text, args, offset: name.offset, end, depth: 1 + maxDepth(args) });
  }

  private parseArguments(open: Token): { args: Node[]; end: number } {
    this.enter(open);
    const args: Node[] = [];
    if (this.peek().type !== TokenType.RParen) {
      for (;;) {
        args.push(this.parseLogical());
        if (this.peek().type !== TokenType.Comma) break;
        this.next();
      }
    }
    this.nesting--;
    const close = this.expect(TokenType.RParen, open, "close the argument list with ')' and separate arguments with ','");
    return { args, end: close.end };
  }

  private enter(token: Token): void {
    this.nesting++;
    if (this.nesting > this.limits.maxDepth) {
      this.fail(`expression is nested deeper than ${this.limits.maxDepth} levels`, token.offset, 'simplify it or split it', ExpressionErrorCode.cap);
    }
  }

  private node<T extends Node>(node: T): T {
    if (node.depth > this.limits.maxDepth) {
      this.fail(`expression is nested deeper than ${this.limits.maxDepth} levels`, node.offset, 'simplify it or split it', ExpressionErrorCode.cap);
    }
    return node;
  }

  private expect(type: TokenType, opener: Token, hint: string): Token {
    const token = this.peek();
    if (token.type !== type) {
      const found = token.type === TokenType.End ? 'the end of the expression' : describe(token);
      this.fail(`expected '${type}' to match '${opener.text}' at col ${opener.offset + 1}, found ${found}`, token.offset, hint);
    }
    return this.next();
  }

  private peek(): Token {
    return this.peekAt(0);
  }

  private peekAt(ahead: number): Token {
    return (this.tokens[Math.min(this.position + ahead, this.tokens.length - 1)] ?? this.tokens[this.tokens.length - 1]) as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (this.position < this.tokens.length - 1) this.position++;
    return token;
  }

  private fail(reason: string, offset: number, hint?: string, code: ExpressionErrorCode = ExpressionErrorCode.syntax): never {
    throw new ExpressionError(code, reason, { offset, expression: this.source, ...(hint !== undefined ? { hint } : {}) });
  }
}

function maxDepth(nodes: readonly Node[]): number {
  let depth = 0;
  for (const node of nodes) if (node.depth > depth) depth = node.depth;
  return depth;
}

function describe(token: Token): string {
  switch (token.type) {
    case TokenType.End:
      return 'the end of the expression';
    case TokenType.String:
      return `string ${token.text.length > 20 ? token.text.slice(0, 17) + '...' : token.text}`;
    case TokenType.Number:
      return `number ${token.text}`;
    case TokenType.Word:
      return `'${token.text.length > 40 ? token.text.slice(0, 37) + '...' : token.text}'`;
    default:
      return `'${token.text}'`;
  }
}

/** `function 'x' called with 3 arguments` @internal */
export function arityMessage(what: 'function' | 'filter', name: string, got: number): string {
  return `${what} '${name}' called with ${got} argument${got === 1 ? '' : 's'}`;
}

/** `it takes exactly 2 arguments` @internal */
export function arityHint(min: number, max: number): string {
  const plural = (n: number): string => `${n} argument${n === 1 ? '' : 's'}`;
  if (min === max) return `it takes exactly ${plural(min)}`;
  if (!Number.isFinite(max)) return `it takes at least ${plural(min)}`;
  return `it takes ${min} to ${max} arguments`;
}

/**
 * Parse one expression (the text between `${{` and `}}`, or a bare `if`).
 * Unknown functions and wrong arities are reported here unless
 * `checkFunctions` is false; filter names are checked when evaluating,
 * against the registry in use.
 * @throws {ExpressionError} `syntax`, `unknown-function`, `arity` or `cap`.
 */
export function parseExpression(source: string, options: ParseOptions = {}): ExpressionAst {
  return guard(source, () => {
    const limits = resolveLimits(options.limits);
    if (typeof source !== 'string') {
      throw new ExpressionError(ExpressionErrorCode.type, `expression must be a string, got ${typeof source}`, { offset: 0 });
    }
    if (source.length > limits.maxLength) {
      throw new ExpressionError(ExpressionErrorCode.cap, `expression is ${source.length} characters long, more than the limit of ${limits.maxLength}`, {
        offset: limits.maxLength,
        expression: source,
        hint: 'split it into smaller expressions or compute the value in a stage',
      });
    }
    return new Parser(source, limits, options.checkFunctions ?? true).parse();
  });
}
