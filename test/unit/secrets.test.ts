/**
 * Secrets on the worker: the store (environment and file), rendering only
 * `secrets.*` templates, masking in every form, and the stage activities
 * that render and mask (bash, run, uses) without a server.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MASK, Masker, parseSecretsFile, renderSecrets, secretForms, SecretError, SecretsFileError, SecretStore } from '../../src/activities/secrets.js';
import { defineTask, TaskRegistry } from '../../src/activities/registry.js';
import type { BashStageInput } from '../../src/activities/types.js';
import { harness, pythonInput, runActivity, usesInput, type Harness } from './activities/helpers.js';

const SECRET = 'hunter2-"quoted"\\-é-s3cr3t';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'tf-secrets-'));
}

describe('SecretStore', () => {
  it('reads TEMPOFLOW_SECRET_* case-insensitively, with - as _', () => {
    const store = SecretStore.fromEnv({ TEMPOFLOW_SECRET_DB_PASS: 'p4ssw0rd', OTHER: 'x' });
    expect(store.get('db_pass')).toBe('p4ssw0rd');
    expect(store.get('db-pass')).toBe('p4ssw0rd');
    expect(store.get('DB_PASS')).toBe('p4ssw0rd');
    expect(store.get('other')).toBeUndefined();
    expect(store.names()).toEqual(['DB_PASS']);
  });

  it('reads a JSON or dotenv file, environment wins, and re-reads it when it changes', () => {
    const dir = tmp();
    const file = join(dir, 'secrets.json');
    writeFileSync(file, JSON.stringify({ API_KEY: 'from-file', 'db-pass': 'file-pass' }), { mode: 0o600 });
    const store = SecretStore.fromEnv({ WORKFLOW_CORE_SECRETS_FILE: file, TEMPOFLOW_SECRET_API_KEY: 'from-env' }).load();
    expect(store.get('api_key')).toBe('from-env');
    expect(store.get('DB_PASS')).toBe('file-pass');
    expect(store.warnings).toEqual([]);
    writeFileSync(file, JSON.stringify({ DB_PASS: 'rotated-pass!' }));
    expect(store.load().get('db_pass')).toBe('rotated-pass!');
    expect(store.masker().mask('x rotated-pass! y')).toBe(`x ${MASK} y`);
    rmSync(dir, { recursive: true });
  });

  it('parses dotenv: export, comments, quotes, multi-line double quotes, prefixed names', () => {
    const values = parseSecretsFile(
      ['# comment', 'export A_KEY=plain value  # trailing', "B='single $x # kept'", 'C="line1\\nline2 \\"q\\""', 'D="multi', 'line"', 'TEMPOFLOW_SECRET_E=prefixed', ''].join('\n'),
    );
    expect(Object.fromEntries(values)).toEqual({ A_KEY: 'plain value', B: 'single $x # kept', C: 'line1\nline2 "q"', D: 'multi\nline', E: 'prefixed' });
  });

  it('refuses a broken file with the line, a non-string JSON value, and a missing file, saying how to fix it', () => {
    expect(() => parseSecretsFile('GOOD=1\nnot a line\n', 's.env')).toThrow(/s\.env:2: expected NAME=value/);
    expect(() => parseSecretsFile('{"PORT": 5432}', 's.json')).toThrow(/value of 'PORT' is a number; write it as a JSON string/);
    expect(() => parseSecretsFile('{"PORT": ', 's.json')).toThrow(SecretsFileError);
    expect(() => SecretStore.fromEnv({ WORKFLOW_CORE_SECRETS_FILE: '/nonexistent/tf-secrets.json' }).load()).toThrow(
      /cannot read the secrets file \/nonexistent\/tf-secrets\.json \(WORKFLOW_CORE_SECRETS_FILE\): ENOENT; create it .* or unset WORKFLOW_CORE_SECRETS_FILE/,
    );
  });

  it('warns about a group- or world-readable file and about values too short to mask', () => {
    const dir = tmp();
    const file = join(dir, 'secrets.env');
    writeFileSync(file, 'LONG_ENOUGH=abcdef\nPIN=123\n');
    chmodSync(file, 0o644);
    const store = SecretStore.fromEnv({ WORKFLOW_CORE_SECRETS_FILE: file }).load();
    store.masker();
    expect(store.warnings).toEqual([
      expect.stringMatching(/readable by group or others \(mode 644\); run `chmod 600 /),
      'secret PIN is shorter than 4 characters: it is not masked, and stages that reference it fail',
    ]);
    expect(store.masker().mask('pin 123 abcdef')).toBe(`pin 123 ${MASK}`);
    rmSync(dir, { recursive: true });
  });
});

describe('renderSecrets', () => {
  const store = new SecretStore({ values: { TOKEN: 's3cr3t-token', 'db-pass': 'p4ss-word' } });

  it('renders only secrets.* templates and leaves every other text as it is', () => {
    const text = 'curl -H "Bearer ${{ secrets.TOKEN }}" ${{ params.url }} $HOME ${{ secrets.db-pass | upper }}';
    expect(renderSecrets(text, store)).toBe('curl -H "Bearer s3cr3t-token" ${{ params.url }} $HOME P4SS-WORD');
    expect(renderSecrets('no templates, no secrets', store)).toBe('no templates, no secrets');
    expect(renderSecrets("${{ secrets['TOKEN'] == 's3cr3t-token' }}", store)).toBe(true);
  });

  it('renders nested with/env values, keeps keys and non-strings', () => {
    const value = { user: 'me', password: '${{ secrets.DB_PASS }}', nested: [{ t: 'x-${{ secrets.token }}' }, 3, null], '${{ secrets.TOKEN }}': 1 };
    expect(renderSecrets(value, store)).toEqual({ user: 'me', password: 'p4ss-word', nested: [{ t: 'x-s3cr3t-token' }, 3, null], '${{ secrets.TOKEN }}': 1 });
  });

  it('names every missing secret and how to provide it', () => {
    const err = (() => {
      try {
        renderSecrets({ a: '${{ secrets.NOPE }}', b: '${{ secrets.also-missing }}', c: '${{ secrets.TOKEN }}' }, store);
      } catch (e) {
        return e as SecretError;
      }
      throw new Error('no error');
    })();
    expect(err).toBeInstanceOf(SecretError);
    expect(err.code).toBe('missing');
    expect(err.secrets).toEqual(['NOPE', 'also-missing']);
    expect(err.message).toBe(
      "secrets NOPE, also-missing are not set on this worker; set TEMPOFLOW_SECRET_NOPE, TEMPOFLOW_SECRET_ALSO_MISSING in the worker's environment, or add NOPE, ALSO_MISSING to the secrets file named by WORKFLOW_CORE_SECRETS_FILE",
    );
  });

  it('refuses dynamic reads, templates mixing namespaces, and short secrets', () => {
    const short = new SecretStore({ values: { PIN: '123', TOKEN: 's3cr3t-token' } });
    expect(() => renderSecrets('${{ toJson(secrets) }}', short, { field: 'bash' })).toThrow(/bash: the template \$\{\{ toJson\(secrets\) \}\} reads secrets without a literal name/);
    expect(() => renderSecrets('${{ secrets.* }}', short)).toThrow(/without a literal name/);
    expect(() => renderSecrets("${{ format('{0}{1}', secrets.TOKEN, params.x) }}", short, { field: 'env.X' })).toThrow(
      /env\.X: the template .* reads secrets and params; .* Split it into two templates/,
    );
    expect(() => renderSecrets('${{ secrets.PIN }}', short)).toThrow(/secret PIN is shorter than 4 characters, too short to mask/);
  });

  it('never puts a value in an error message', () => {
    try {
      renderSecrets('${{ fromJson(secrets.TOKEN) }}', store);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(SecretError);
      expect((e as Error).message).not.toContain('s3cr3t-token');
    }
  });
});

describe('Masker', () => {
  const masker = new Masker([SECRET, 'another-one']);

  it('masks the plain, JSON-escaped, ASCII-JSON, URL-encoded and base64 forms', () => {
    const forms = [
      SECRET,
      JSON.stringify(SECRET).slice(1, -1),
      JSON.stringify(SECRET).slice(1, -1).replace('é', '\\u00e9'),
      encodeURIComponent(SECRET),
      Buffer.from(SECRET).toString('base64'),
      Buffer.from(SECRET).toString('base64url'),
    ];
    for (const form of forms) expect(masker.mask(`<${form}>`)).not.toContain(form.slice(2, -2));
    expect(masker.mask(`a ${SECRET} b`)).toBe(`a ${MASK} b`);
  });

  it('masks base64 of a secret inside longer data, at every byte alignment', () => {
    for (const prefix of ['', 'x', 'xy', 'user:', 'Basic a']) {
      const encoded = Buffer.from(`${prefix}${SECRET}${prefix}`).toString('base64');
      const masked = masker.mask(encoded);
      expect(masked).toContain(MASK);
      // What stays of the encoding cannot be decoded back to the secret.
      expect(Buffer.from(masked.replace(/\*\*\*/g, ''), 'base64').toString('utf8')).not.toContain('s3cr3t');
    }
  });

  it('masks values deep in JSON (keys too) and leaves other data alone', () => {
    const value = { out: `x${SECRET}`, list: [1, true, null, { [SECRET]: 'another-one' }] };
    expect(masker.maskValue(value)).toEqual({ out: `x${MASK}`, list: [1, true, null, { [MASK]: MASK }] });
  });

  it('masks the end of a secret at the start of a cut tail', () => {
    expect(masker.maskTail(`[... 100 bytes truncated]\n${SECRET.slice(5)} rest`)).toBe(`[... 100 bytes truncated]\n${MASK} rest`);
  });

  it('streams: a secret split across chunks, lines or long lines never comes out', () => {
    const text = `line 1\nsecret: ${SECRET} end\n${'a'.repeat(70_000)}${SECRET}${'b'.repeat(10)}\nlast another-one`;
    for (const size of [1, 3, 7, 4096, 65_536]) {
      const stream = masker.stream();
      let out = '';
      for (let i = 0; i < text.length; i += size) out += stream.push(text.slice(i, i + size));
      out += stream.end();
      expect(out).toBe(masker.mask(text));
      expect(out).not.toContain(SECRET);
    }
  });

  it('turns errors into masked ApplicationFailures of the same type', () => {
    const masked = masker.maskError(ApplicationFailure.nonRetryable(`bad ${SECRET}`, 'MyType', { d: SECRET })) as ApplicationFailure;
    expect(masked).toBeInstanceOf(ApplicationFailure);
    expect(masked).toMatchObject({ message: `bad ${MASK}`, type: 'MyType', nonRetryable: true, details: [{ d: MASK }] });
    const plain = masker.maskError(new TypeError(`oops ${SECRET}`)) as ApplicationFailure;
    expect(plain).toMatchObject({ message: `oops ${MASK}`, type: 'TypeError', nonRetryable: false });
    const clean = new Error('nothing secret');
    expect(masker.maskError(clean)).toBe(clean);
  });

  it('has forms for every alignment and none shorter than 4 characters', () => {
    const forms = secretForms('abcd');
    expect(forms).toEqual(expect.arrayContaining(['abcd', 'YWJjZ', 'FiY2', 'hYmNk']));
    expect(forms.every((f) => f.length >= 4)).toBe(true);
  });
});

describe('stage activities render secrets and mask what they return', () => {
  let h: Harness;
  afterEach(() => h?.cleanup());

  const env = (): Record<string, string | undefined> => ({ PATH: process.env.PATH, HOME: process.env.HOME, TEMPOFLOW_SECRET_API_TOKEN: SECRET });

  function bashInput(script: string, extra: Partial<BashStageInput> = {}): BashStageInput {
    const { code: _c, codeLine: _l, file: _f, vars: _v, context: _x, ...address } = pythonInput('');
    return { ...address, script, ...extra };
  }

  it('bash: renders in the script and env, masks outputs, errors and the trace, and removes the script', async () => {
    h = harness({ baseEnv: env() });
    const result = await runActivity(
      new MockActivityEnvironment(),
      h.activities.bashStage,
      bashInput('cat <<\'EOF\'\nplain ${{ secrets.API_TOKEN }}\nEOF\nprintf %s "$TOKEN" | base64; echo "env $TOKEN" >&2; exit 3', { env: { TOKEN: '${{ secrets.api-token }}' } }),
    );
    expect(result).toMatchObject({ ok: false, outputs: { return_code: 3 }, error: { name: 'BashExitError', message: `bash exited with code 3: env ${MASK}` } });
    const all = JSON.stringify(result) + h.trace();
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(Buffer.from(SECRET).toString('base64').slice(0, 12));
    expect(result.outputs['stdout']).toBe(`plain ${MASK}\n${MASK}\n`);
    expect(readdirSync(join(h.config.workdir, 'run-1', '.scripts'))).toEqual([]);
  });

  it('bash: stages never see the secret, secrets-file and codec variables of the worker', async () => {
    const baseEnv = { ...env(), WORKFLOW_CORE_SECRETS_FILE: '/private/secrets.env', TEMPOFLOW_CODEC_KEY: 'k', TEMPOFLOW_CODEC_PREVIOUS_KEYS: 'old=k' };
    h = harness({ baseEnv, secrets: new SecretStore({ env: env() }) });
    const result = await runActivity(new MockActivityEnvironment(), h.activities.bashStage, bashInput('env | cut -d= -f1 | grep -E "SECRET|CODEC" || echo none'));
    expect(result.outputs['stdout']).toBe('none\n');
  });

  it('bash: a missing secret fails at once, not retryable, naming it and how to set it; nothing runs', async () => {
    h = harness({ baseEnv: env() });
    const marker = join(h.root, 'ran');
    const result = await runActivity(new MockActivityEnvironment(), h.activities.bashStage, bashInput(`touch ${marker}; echo \${{ secrets.MISSING_ONE }}`));
    expect(result).toMatchObject({
      ok: false,
      nonRetryable: true,
      error: {
        name: 'SecretError',
        message: expect.stringMatching(/^secret MISSING_ONE is not set on this worker; set TEMPOFLOW_SECRET_MISSING_ONE .* \(stage stage-x at conf\/workflows\/wf\.yml:10:9\)$/),
      },
    });
    expect(existsSync(marker)).toBe(false);
  });

  it('run: renders in code, vars and env; masks outputs, exception messages and tails', async () => {
    h = harness({ baseEnv: env() });
    const code = ['import os', 'token = "${{ secrets.API_TOKEN }}"', 'from_env = os.environ["TOKEN"]', 'same = token == from_env == v', 'print(token)', 'raise ValueError("leak " + token)'].join('\n');
    const result = await runActivity(
      new MockActivityEnvironment(),
      h.activities.pythonStage,
      pythonInput(code.replace('"${{ secrets.API_TOKEN }}"', "r'''${{ secrets.API_TOKEN }}'''"), { env: { TOKEN: '${{ secrets.API_TOKEN }}' }, vars: { v: '${{ secrets.API_TOKEN }}' } }),
    );
    expect(result).toMatchObject({ ok: false, outputs: { token: MASK, from_env: MASK, same: true, v: MASK }, error: { name: 'ValueError' } });
    expect(result.error!.message).toMatch(/^leak \*\*\* \(at conf\/workflows\/wf\.yml:17\)/);
    expect(JSON.stringify(result) + h.trace()).not.toContain(SECRET);
  });

  it('uses: renders with and env, masks outputs, thrown errors, logs and heartbeats', async () => {
    const heartbeats: unknown[] = [];
    const task = defineTask({
      name: 'leaky',
      tag: 'v1',
      with: z.object({ password: z.string(), fail: z.boolean().default(false) }),
      run: ({ password, fail }, ctx) => {
        ctx.log(`logging ${password}`);
        ctx.heartbeat({ at: password });
        if (fail) throw new Error(`failed with ${password} / ${Buffer.from(password).toString('base64')}`);
        return { echo: password, env: ctx.env.PW, json: JSON.stringify({ password }) };
      },
    });
    h = harness({ baseEnv: env(), tasks: new TaskRegistry().register(task) });
    const menv = new MockActivityEnvironment();
    menv.on('heartbeat', (d: unknown) => heartbeats.push(d));
    const ok = await runActivity(menv, h.activities.usesStage, usesInput('tasks/leaky@v1', { with: { password: '${{ secrets.API_TOKEN }}' }, env: { PW: '${{ secrets.API_TOKEN }}' } }));
    expect(ok).toEqual({ ok: true, outputs: { echo: MASK, env: MASK, json: `{"password":"${MASK}"}` } });
    const failed = await runActivity(menv, h.activities.usesStage, usesInput('tasks/leaky@v1', { with: { password: '${{ secrets.API_TOKEN }}', fail: true } }));
    expect(failed).toMatchObject({ ok: false, error: { name: 'Error', message: `failed with ${MASK} / ${MASK}` } });
    expect(heartbeats).toContainEqual(expect.objectContaining({ progress: { at: MASK } }));
    expect(JSON.stringify([ok, failed, heartbeats]) + h.trace()).not.toContain(SECRET);
    expect(h.trace()).toContain(`logging ${MASK}`);
  });
});
