import { describe, expect, it } from 'vitest';
import { tokenize, TokenType } from '../../../src/expressions/index.js';
import { expectExpressionError } from './helpers.js';

const types = (source: string): string[] => tokenize(source).map((t) => t.type);

describe('tokenize', () => {
  it.each([
    ["'it''s'", "it's"],
    ["''", ''],
    ['"say ""hi"""', 'say "hi"'],
    ['"a\'b"', "a'b"],
    ["'}} ${{'", '}} ${{'],
  ])('string %s → %j', (source, value) => {
    const [token] = tokenize(source);
    expect(token?.type).toBe(TokenType.String);
    expect(token?.value).toBe(value);
  });

  it.each([
    ['0', 0],
    ['42', 42],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['1.', 1],
    ['1e3', 1000],
    ['2.5E-2', 0.025],
    ['0xff', 255],
    ['0XFF', 255],
    ['0o17', 15],
    ['0b101', 5],
    ['-1', -1],
    ['-0.5', -0.5],
    ['-.5', -0.5],
    ['+3', 3],
    ['-0x10', -16],
  ])('number %s → %d', (source, value) => {
    const tokens = tokenize(source);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]?.type).toBe(TokenType.Number);
    expect(tokens[0]?.value).toBe(value);
  });

  it('reads hyphenated and underscored words', () => {
    const words = tokenize('needs.main-process.result _x a_b-c9').filter((t) => t.type === TokenType.Word);
    expect(words.map((w) => w.text)).toEqual(['needs', 'main-process', 'result', '_x', 'a_b-c9']);
  });

  it('reads every operator', () => {
    expect(types('! != < <= > >= == && || | . [ ] ( ) , *')).toEqual(['!', '!=', '<', '<=', '>', '>=', '==', '&&', '||', '|', '.', '[', ']', '(', ')', ',', '*', TokenType.End]);
  });

  it('treats a dot after an operand as property access, not a number', () => {
    expect(types('a.b')).toEqual([TokenType.Word, TokenType.Dot, TokenType.Word, TokenType.End]);
    expect(types('a[0].b')).toEqual(['word', '[', 'number', ']', '.', 'word', TokenType.End]);
  });

  it('records offsets and ends', () => {
    const tokens = tokenize("  ab == 'x'");
    expect(tokens.map((t) => [t.offset, t.end])).toEqual([
      [2, 4],
      [5, 7],
      [8, 11],
      [11, 11],
    ]);
  });

  it('accepts tabs and newlines as whitespace', () => {
    expect(types('a\n&&\tb\r\n')).toEqual(['word', '&&', 'word', TokenType.End]);
  });

  it.each([
    ["'abc", 0, 'unterminated string'],
    ['a = b', 2, "use '=='"],
    ['a & b', 2, "use '&&'"],
    ['1a', 0, 'invalid number'],
    ['1.2.3', 0, 'invalid number'],
    ['0x', 0, 'invalid number'],
    ['a - 1', 2, 'arithmetic'],
    ['a # b', 2, "character '#'"],
    ['a \u0000', 2, 'U+0000'],
    ['\ud800', 0, 'U+D800'],
    ['a + b', 2, "unexpected '+'"],
    ['${{ a }}', 0, 'without ${{ }}'],
  ])('rejects %j at %d', (source, offset, fragment) => {
    const error = expectExpressionError(() => tokenize(source), 'syntax', offset);
    expect(error.message).toContain(fragment);
    expect(error.expression).toBe(source);
  });
});
