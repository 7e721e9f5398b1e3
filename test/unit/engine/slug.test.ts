import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_SLUG, slugify, stripTemplates } from '../../../src/engine/slug.js';

describe('slugify', () => {
  it.each([
    ['Process ${{ matrix.region }}', 'process'],
    ['Download data', 'download-data'],
    ['  Hello,   World!  ', 'hello-world'],
    ['build_v2.1', 'build-v2-1'],
    ['already-a-slug', 'already-a-slug'],
    ['--x--', 'x'],
    ['${{ matrix.a }} and ${{ matrix.b }} done', 'and-done'],
    ["Say ${{ format('}}', x) }} now", 'say-now'],
    ['Quote ${{ "a }} b" }} end', 'quote-end'],
    ["Esc ${{ 'it''s }}' }} end", 'esc-end'],
    ['Open ${{ matrix', 'open-matrix'],
    ['Café crème', 'caf-cr-me'],
    ['${{ matrix.region }}', EMPTY_SLUG],
    ['', EMPTY_SLUG],
    ['!!!', EMPTY_SLUG],
    ['日本語', EMPTY_SLUG],
    ['STEP 1', 'step-1'],
  ])('%j → %j', (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });

  it('always returns a non-empty [a-z0-9-] id without edge dashes or double dashes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (name) => {
        const slug = slugify(name);
        expect(slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
        expect(slugify(slug)).toBe(slug);
      }),
      { seed: 42 },
    );
  });

  it('is linear on long hostile input', () => {
    const name = '${{ '.repeat(20_000) + '-'.repeat(50_000) + 'x';
    const started = performance.now();
    slugify(name);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('stripTemplates', () => {
  it.each([
    ['a ${{ x }} b', 'a  b'],
    ['no templates', 'no templates'],
    ['${{ a }}${{ b }}', ''],
    ['${{ unterminated', '${{ unterminated'],
    ['x }} y', 'x }} y'],
  ])('%j → %j', (raw, stripped) => {
    expect(stripTemplates(raw)).toBe(stripped);
  });
});
