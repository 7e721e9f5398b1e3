/**
 * Lexer of the `${{ }}` expression language (GitHub Actions grammar plus the
 * `|` filter pipe).
 *
 * Pure module: safe to import from workflow code.
 */
import { ExpressionError, ExpressionErrorCode } from './errors.js';

/** Token kinds. */
export const TokenType = {
  String: 'string',
  Number: 'number',
  /** A word: a name, a function name or one of the keywords `true false null`. */
  Word: 'word',
  Dot: '.',
  LBracket: '[',
  RBracket: ']',
  LParen: '(',
  RParen: ')',
  Comma: ',',
  Star: '*',
  Not: '!',
  Lt: '<',
  Le: '<=',
  Gt: '>',
  Ge: '>=',
  Eq: '==',
  Ne: '!=',
  And: '&&',
  Or: '||',
  Pipe: '|',
  End: 'end of expression',
} as const;
export type TokenType = (typeof TokenType)[keyof typeof TokenType];

/** One token with its position in the source. */
export interface Token {
  readonly type: TokenType;
  /** 0-based index of the first character. */
  readonly offset: number;
  /** 0-based index just past the last character. */
  readonly end: number;
  /** The token's text as written. */
  readonly text: string;
  /** Decoded value of a string or number literal. */
  readonly value?: string | number;
}

const NUMBER = /0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_][A-Za-z0-9_-]*/y;

function isWordStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Tokens after which a `.` is property access and a `-` cannot start a number. */
function endsOperand(token: Token | undefined): boolean {
  if (token === undefined) return false;
  switch (token.type) {
    case TokenType.Word:
    case TokenType.String:
    case TokenType.Number:
    case TokenType.RParen:
    case TokenType.RBracket:
    case TokenType.Star:
      return true;
    default:
      return false;
  }
}

function describeChar(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20 || code === 0x7f || (code >= 0xd800 && code <= 0xdfff)) {
    return `character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return `character '${c}'`;
}

/**
 * Split `source` into tokens, ending with one `End` token.
 * @throws {ExpressionError} `syntax` on an unexpected character, an unterminated string or a malformed number.
 */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const fail = (reason: string, offset: number, hint?: string): never => {
    throw new ExpressionError(ExpressionErrorCode.syntax, reason, { offset, expression: source, ...(hint !== undefined ? { hint } : {}) });
  };
  const push = (type: TokenType, offset: number, end: number, value?: string | number): void => {
    tokens.push(value === undefined ? { type, offset, end, text: source.slice(offset, end) } : { type, offset, end, text: source.slice(offset, end), value });
  };

  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i] as string;
    const next = source[i + 1];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const previous = tokens[tokens.length - 1];
    // String literals: '...' or "..." with the quote doubled to escape it.
    if (c === "'" || c === '"') {
      let j = i + 1;
      let value = '';
      for (;;) {
        const close = source.indexOf(c, j);
        if (close < 0) {
          fail('unterminated string', i, `close it with ${c}; write ${c}${c} for a literal ${c} inside it`);
        }
        value += source.slice(j, close);
        if (source[close + 1] === c) {
          value += c;
          j = close + 2;
          continue;
        }
        j = close + 1;
        break;
      }
      push(TokenType.String, i, j, value);
      i = j;
      continue;
    }
    // Numbers: 12, 1.5, .5, 1e3, 0xff, and a leading sign where an operand is expected.
    const signed = (c === '-' || c === '+') && !endsOperand(previous) && (isDigit(next) || (next === '.' && isDigit(source[i + 2])));
    if (isDigit(c) || signed || (c === '.' && isDigit(next) && !endsOperand(previous))) {
      const start = i;
      const bodyStart = signed ? i + 1 : i;
      NUMBER.lastIndex = bodyStart;
      const match = NUMBER.exec(source);
      const body = match?.[0] ?? '';
      let j = bodyStart + body.length;
      const after = source[j];
      if (body === '' || (after !== undefined && (isWordStart(after) || isDigit(after) || after === '.'))) {
        while (j < n && /[0-9A-Za-z_.]/.test(source[j] as string)) j++;
        fail(`invalid number '${source.slice(start, j)}'`, start, 'write a decimal (1, 1.5, 1e3) or hex (0xff) number');
      }
      const magnitude = Number(body);
      push(TokenType.Number, start, j, c === '-' ? -magnitude : magnitude);
      i = j;
      continue;
    }
    if (isWordStart(c)) {
      WORD.lastIndex = i;
      const word = (WORD.exec(source)?.[0] ?? c) as string;
      push(TokenType.Word, i, i + word.length);
      i += word.length;
      continue;
    }
    switch (c) {
      case '.':
        push(TokenType.Dot, i, i + 1);
        i++;
        continue;
      case '[':
        push(TokenType.LBracket, i, i + 1);
        i++;
        continue;
      case ']':
        push(TokenType.RBracket, i, i + 1);
        i++;
        continue;
      case '(':
        push(TokenType.LParen, i, i + 1);
        i++;
        continue;
      case ')':
        push(TokenType.RParen, i, i + 1);
        i++;
        continue;
      case ',':
        push(TokenType.Comma, i, i + 1);
        i++;
        continue;
      case '*':
        push(TokenType.Star, i, i + 1);
        i++;
        continue;
      case '!':
        if (next === '=') {
          push(TokenType.Ne, i, i + 2);
          i += 2;
        } else {
          push(TokenType.Not, i, i + 1);
          i++;
        }
        continue;
      case '<':
      case '>': {
        const eq = next === '=';
        push(c === '<' ? (eq ? TokenType.Le : TokenType.Lt) : eq ? TokenType.Ge : TokenType.Gt, i, i + (eq ? 2 : 1));
        i += eq ? 2 : 1;
        continue;
      }
      case '=':
        if (next === '=') {
          push(TokenType.Eq, i, i + 2);
          i += 2;
          continue;
        }
        return fail("unexpected '='", i, "use '==' to compare");
      case '&':
        if (next === '&') {
          push(TokenType.And, i, i + 2);
          i += 2;
          continue;
        }
        return fail("unexpected '&'", i, "use '&&' for 'and'");
      case '|':
        if (next === '|') {
          push(TokenType.Or, i, i + 2);
          i += 2;
        } else {
          push(TokenType.Pipe, i, i + 1);
          i++;
        }
        continue;
      case '-':
      case '+':
        return fail(`unexpected '${c}'`, i, 'arithmetic is not supported; names may contain - but must start with a letter or _');
      default:
        if (source.startsWith('${{', i)) {
          return fail("unexpected '${{' inside an expression", i, 'write the expression without ${{ }} here, or render the text as a template');
        }
        return fail(`unexpected ${describeChar(c)}`, i, "strings need quotes: 'text'");
    }
  }
  tokens.push({ type: TokenType.End, offset: n, end: n, text: '' });
  return tokens;
}
