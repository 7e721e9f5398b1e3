import { describe, expect, it } from 'vitest';
import { analyzeExpression, DEFER_SECRETS, isSecretsRoot, maskSecretTemplates, renderTemplate, secretKey, secretNamesIn, secretReads } from '../../../src/expressions/index.js';

describe('the secrets namespace', () => {
  it('is one namespace in any case', () => {
    for (const root of ['secrets', 'Secrets', 'SECRETS', 'sEcReTs']) expect(isSecretsRoot(root)).toBe(true);
    for (const root of ['secret', 'params', 'secrets_', undefined]) expect(isSecretsRoot(root)).toBe(false);
  });

  it('keys secret names by upper case with - as _', () => {
    expect(secretKey('db-pass')).toBe('DB_PASS');
    expect(secretKey('Db-Pass')).toBe(secretKey('DB_PASS'));
  });

  it('says what an expression reads of secrets', () => {
    expect(secretReads(analyzeExpression('params.x'))).toBeUndefined();
    expect(secretReads(analyzeExpression('Secrets.A || SECRETS.b'))).toEqual({ names: ['A', 'b'], dynamic: false, others: [] });
    expect(secretReads(analyzeExpression('secrets[params.k]'))).toEqual({ names: [], dynamic: true, others: ['params'] });
    expect(secretReads(analyzeExpression('toJson(secrets)'))).toMatchObject({ dynamic: true });
    expect(secretReads(analyzeExpression('secrets.*'))).toMatchObject({ dynamic: true });
  });

  it('lists the secret names a template reads, whatever the case of the namespace', () => {
    expect(secretNamesIn('echo ${{ Secrets.TOKEN }} ${{ SECRETS.db-pass }} ${{ secrets.TOKEN }}')).toEqual(['TOKEN', 'db-pass']);
    expect(secretNamesIn('no templates, secrets as a word')).toEqual([]);
    expect(secretNamesIn('${{ params.secrets }}')).toEqual([]);
    expect(secretNamesIn('${{ secrets.A }} ${{ secrets.( }}')).toEqual(['A']);
    expect(secretNamesIn('${{ secrets.A')).toEqual([]);
  });

  it('masks templates of secrets in display text, and nothing else', () => {
    expect(maskSecretTemplates('token ${{ Secrets.TOKEN }} for ${{ params.who }}')).toBe('token *** for ${{ params.who }}');
    expect(maskSecretTemplates('${{ SECRETS.A }}${{ secrets.B }}')).toBe('******');
    expect(maskSecretTemplates('plain text about secrets')).toBe('plain text about secrets');
    // Text that does not parse: masked when it mentions secrets.
    expect(maskSecretTemplates('${{ Secrets.( }} and ${{ params.( }}')).toBe('*** and ${{ params.( }}');
    expect(maskSecretTemplates('a ${{ Secrets.X }} b ${{ unterminated')).toBe('a *** b ${{ unterminated');
  });

  it('is deferred by workflow rendering in any case', () => {
    const ctx = { values: { params: { x: 1 } } };
    expect(renderTemplate('${{ params.x }}-${{ Secrets.TOKEN }}', ctx, DEFER_SECRETS)).toBe('1-${{ Secrets.TOKEN }}');
    expect(renderTemplate('${{ SECRETS.TOKEN }}', ctx, DEFER_SECRETS)).toBe('${{ SECRETS.TOKEN }}');
  });
});
