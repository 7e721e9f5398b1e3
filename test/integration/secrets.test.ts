/**
 * Secrets end to end on the real server: a secret used by bash, run and
 * uses stages, printed plain, base64 and JSON-escaped, and put in a failing
 * stage's error, is found nowhere the run leaves data — the Temporal
 * history (payloads decoded), the trace files, the workspace, the audit
 * record of a release, the CLI's `status` and `logs` output and the Result.
 * A missing secret fails its stage at once.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTask, TaskRegistry } from '../../src/activities/registry.js';
import { SecretStore } from '../../src/activities/secrets.js';
import { Workflow } from '../../src/client/workflow.js';
import { runCli } from '../helpers/cli.js';
import { temporalAddress, withWorker, writeConf } from '../helpers/temporal.js';

const SECRET = 'tf-S3cr3t"\\value/é+xyz';

/** Every form of the secret a leak could take. */
const forms = (s: string): string[] => {
  const bytes = Buffer.from(s, 'utf8');
  return [
    s,
    JSON.stringify(s).slice(1, -1),
    JSON.stringify(s)
      .slice(1, -1)
      .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    encodeURIComponent(s),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
    // Whatever it was embedded in: the aligned core of the secret's base64 (see Masker).
    bytes.toString('base64').slice(0, Math.floor((8 * bytes.length) / 6)),
  ];
};

/** All text in a history: strings as they are, byte arrays (payload data and metadata) decoded as UTF-8 and as base64. */
function historyText(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) {
    const buf = Buffer.from(value);
    out.push(buf.toString('utf8'), buf.toString('base64'));
    // JSON payloads: decode once more, so escapes are undone too.
    try {
      out.push(JSON.stringify(JSON.parse(buf.toString('utf8'))));
    } catch {
      /* not JSON */
    }
  } else if (Array.isArray(value)) for (const v of value) historyText(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) historyText(v, out);
  return out;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

const leak = defineTask({
  name: 'leak',
  tag: 'v1',
  with: z.object({ password: z.string() }),
  run: ({ password }, ctx) => {
    ctx.log(`task log ${password}`);
    ctx.heartbeat({ password });
    return { echo: password, b64: Buffer.from(password).toString('base64'), json: JSON.stringify({ password }) };
  },
});

describe('secrets', () => {
  it('read the secrets namespace case-insensitively, as validation and rendering do', async () => {
    const secrets = SecretStore.fromEnv({ TEMPOFLOW_SECRET_API_TOKEN: SECRET });
    await withWorker(
      async ({ runtime }) => {
        const name = `secret-case-${randomBytes(3).toString('hex')}`;
        const conf = writeConf({
          'case.yml': `
${name}:
  type: Workflow
  jobs:
    main:
      stages:
        - name: Bash
          id: bash
          env: { TOKEN: "\${{ Secrets.API_TOKEN }}" }
          bash: |
            test "$TOKEN" = '\${{ SECRETS.api_token }}' && echo "same $TOKEN"
        - name: Run
          id: run
          vars: { token: "\${{ Secrets.Api-Token }}" }
          run: |
            print(token)
        - name: Uses
          id: uses
          uses: tasks/leak@v1
          with: { password: "\${{ SECRETS.API_TOKEN }}" }
        - name: Echo of \${{ Secrets.API_TOKEN }}
          id: echo
          echo: "echo of \${{ Secrets.API_TOKEN }}"
`,
        });
        const wf = await Workflow.fromConf(name, { path: conf });
        const result = await wf.execute({}, { runtime });
        const stages = result.context.jobs.main!.stages;
        expect(stages['bash']).toMatchObject({ status: 'SUCCESS', outputs: { stdout: 'same ***\n' } });
        expect(stages['run']).toMatchObject({ status: 'SUCCESS' });
        expect(stages['uses']).toMatchObject({ status: 'SUCCESS', outputs: { echo: '***' } });
        expect(stages['echo']).toMatchObject({ status: 'SUCCESS', name: 'Echo of ***' });
        expect(result.status).toBe('SUCCESS');
        for (const form of forms(SECRET)) expect(JSON.stringify(result).includes(form)).toBe(false);
      },
      { activityConfig: { secrets, tasks: new TaskRegistry().register(leak) } },
    );
  });

  it('render on the worker in bash, run, env and with, and are masked everywhere the run leaves data', async () => {
    const secrets = SecretStore.fromEnv({ TEMPOFLOW_SECRET_API_TOKEN: SECRET });
    await withWorker(
      async ({ runtime, dir }) => {
        const name = `secret-demo-${randomBytes(3).toString('hex')}`;
        const conf = writeConf({
          'secrets.yml': `
${name}:
  type: Workflow
  params:
    note: { type: str, default: plain-param }
  jobs:
    main:
      stages:
        - name: Bash
          id: bash
          env: { TOKEN: "\${{ secrets.API_TOKEN }}" }
          bash: |
            echo "plain $TOKEN"
            printf '%s' "$TOKEN" | base64
            python3 -c 'import json, os; print(json.dumps({"t": os.environ["TOKEN"]}))'
            cat <<'EOF'
            template \${{ secrets.API_TOKEN }}
            EOF
        - name: Run
          id: run
          env: { TOKEN: "\${{ secrets.api-token }}" }
          vars: { from_vars: "\${{ secrets.API_TOKEN }}" }
          run: |
            import base64, json, os
            token = os.environ["TOKEN"]
            from_code = r'''\${{ secrets.API_TOKEN }}'''
            same = token == from_code == from_vars
            b64 = base64.b64encode(token.encode()).decode()
            as_json = json.dumps({"token": token})
            print(token, b64, as_json)
        - name: Uses
          id: uses
          uses: tasks/leak@v1
          with: { password: "\${{ secrets.API_TOKEN }}" }
        - name: Echo
          echo: "echo of \${{ secrets.API_TOKEN }}"
        - name: Fail
          id: fail
          env: { TOKEN: "\${{ secrets.API_TOKEN }}" }
          bash: |
            echo "about to fail: $TOKEN"
            echo "failing with $TOKEN" >&2
            exit 1
        - name: Fail in Python
          id: fail-py
          if: \${{ always() }}
          run: |
            raise RuntimeError("python failing with " + r'''\${{ secrets.API_TOKEN }}''')
    missing:
      stages:
        - name: Missing
          id: missing
          bash: echo "\${{ secrets.NOT_THERE }}"
`,
        });
        const wf = await Workflow.fromConf(name, { path: conf });
        const result = await wf.execute({}, { runtime });
        expect(result.status).toBe('FAILED');
        const stages = result.context.jobs.main!.stages;
        expect(stages['bash']).toMatchObject({ status: 'SUCCESS', outputs: { stdout: 'plain ***\n***\n{"t": "***"}\ntemplate ***\n' } });
        expect(stages['run']).toMatchObject({ status: 'SUCCESS', outputs: { token: '***', from_code: '***', from_vars: '***', same: true, b64: '***', as_json: '{"token": "***"}' } });
        expect(stages['uses']).toMatchObject({ status: 'SUCCESS', outputs: { echo: '***', b64: '***', json: '{"password":"***"}' } });
        expect(stages['fail']).toMatchObject({
          status: 'FAILED',
          outputs: { stdout: 'about to fail: ***\n', stderr: 'failing with ***\n' },
          error: { name: 'BashExitError', message: 'bash exited with code 1: failing with ***' },
        });
        expect(stages['fail-py']).toMatchObject({ status: 'FAILED', error: { name: 'RuntimeError' } });
        expect(stages['fail-py']!.error!.message).toMatch(/^python failing with \*\*\* \(at /);
        // A missing secret: a stage failure naming it and how to provide it, without retries.
        expect(result.context.jobs.missing!.stages['missing']).toMatchObject({
          status: 'FAILED',
          attempt: 1,
          error: {
            name: 'SecretError',
            message: expect.stringMatching(
              /^secret NOT_THERE is not set on this worker; set TEMPOFLOW_SECRET_NOT_THERE in the worker's environment, or add NOT_THERE to the secrets file named by WORKFLOW_CORE_SECRETS_FILE \(stage missing at .*secrets\.yml:\d+:\d+\)$/,
            ),
          },
        });

        // Where the run leaves data.
        const handle = runtime.client.workflow.getHandle(result.runId);
        const history = historyText(await handle.fetchHistory()).join('\n');
        expect(history).toContain('plain-param'); // the search does see payloads
        expect(history).toContain('failing with ***');
        const traces = filesUnder(join(dir, '.tempoflow', 'traces'))
          .map((f) => readFileSync(f, 'utf8'))
          .join('\n');
        expect(traces).toContain('task log ***');
        expect(traces).toContain('[stderr] failing with ***');
        const workspace = filesUnder(join(dir, '.tempoflow', 'workspaces'))
          .map((f) => readFileSync(f, 'utf8'))
          .join('\n');
        const status = await runCli(['status', result.runId], { cwd: dir, env: { TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_NAMESPACE: 'default' } });
        expect(status.code).toBe(0);
        expect(status.stdout).toMatch(/fail: FAILED: bash exited with code 1: failing with \*\*\*/);
        const statusJson = await runCli(['status', result.runId, '--json'], { cwd: dir, env: { TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_NAMESPACE: 'default' } });
        expect(statusJson.code).toBe(0);
        const logs = await runCli(['logs', result.runId, '--trace-path', join(dir, '.tempoflow', 'traces')], { cwd: dir, env: { TEMPORAL_ADDRESS: temporalAddress(), TEMPORAL_NAMESPACE: 'default' } });
        expect(logs.stdout).toContain('failing with ***');

        // A release of the same workflow writes an audit record: masked too.
        const release = await wf.release('2024-01-01T09:00:00Z', {}, { runtime });
        expect(release.status).toBe('FAILED');
        expect(release.audit?.written).toBe(true);
        const audits = filesUnder(join(dir, 'audits'))
          .map((f) => readFileSync(f, 'utf8'))
          .join('\n');
        expect(audits).toContain('failing with ***');
        const releaseHistory = historyText(await runtime.client.workflow.getHandle(release.runId).fetchHistory()).join('\n');

        const everywhere = {
          history,
          releaseHistory,
          traces,
          workspace,
          audits,
          status: status.stdout + status.stderr,
          statusJson: statusJson.stdout,
          logs: logs.stdout + logs.stderr,
          result: JSON.stringify(result),
          release: JSON.stringify(release),
        };
        for (const [where, text] of Object.entries(everywhere)) {
          for (const form of forms(SECRET)) expect(text.includes(form), `${where} contains ${form}`).toBe(false);
        }
      },
      { activityConfig: { secrets, tasks: new TaskRegistry().register(leak) } },
    );
  });
});
