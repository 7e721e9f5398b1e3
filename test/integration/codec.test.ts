/**
 * Payload encryption on the real server: with the AES-256-GCM codec on the
 * client and the worker (and the workflow bundle built with the encoding
 * failure converter), the raw history — fetched by a client WITHOUT the
 * codec — holds no plaintext params, outputs or failure messages, while a
 * client with the codec reads the Result; `tempoflow codec-server` decodes
 * a payload of that history over HTTP.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { codecFromEnv, encryptingDataConverter, ENCRYPTED_ENCODING, failureConverterPath } from '../../src/codec/index.js';
import { workflowBundleOptions } from '../../src/worker/bundle-options.js';
import { freePort } from '../../src/client/embedded-server.js';
import { Workflow } from '../../src/client/workflow.js';
import { tempDir, withWorker, writeConf } from '../helpers/temporal.js';

const root = resolve(import.meta.dirname, '../..');
const KEY = randomBytes(32).toString('base64');
const codecEnv = { TEMPOFLOW_CODEC_KEY: KEY, TEMPOFLOW_CODEC_KEY_ID: 'test-key' };
const codec = codecFromEnv(codecEnv)!;

/** All text in a history: strings, and byte arrays decoded as UTF-8 and as base64. */
function historyText(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'), Buffer.from(value).toString('base64'));
  else if (Array.isArray(value)) for (const v of value) historyText(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) historyText(v, out);
  return out;
}

const needles = ['needle-param-7f3a', 'needle-output-7f3a', 'needle-failure-7f3a', 'needle-python-7f3a'];
const leaks = (text: string): string[] => needles.filter((n) => text.includes(n) || text.includes(Buffer.from(n).toString('base64').slice(0, 16)));

let bundlePath = '';
beforeAll(async () => {
  // Workflow failure messages are produced inside the workflow sandbox: the
  // bundle carries the encoding failure converter (createWorker bundles it
  // itself when the codec is on and no bundle is given).
  const { code } = await bundleWorkflowCode({
    ...workflowBundleOptions(join(root, 'src/workflows/index.ts')),
    failureConverterPath: failureConverterPath(),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error } as never,
  });
  bundlePath = join(tempDir('tf-codec-bundle-'), 'workflow-bundle.js');
  writeFileSync(bundlePath, code);
}, 120_000);

describe('AES-256-GCM payload codec', () => {
  let server: ReturnType<typeof spawn> | undefined;
  afterAll(() => {
    server?.kill('SIGTERM');
  });

  it('keeps params, outputs and failure messages out of the raw history; the codec reads the Result; the codec server decodes over HTTP', async () => {
    await withWorker(
      async ({ runtime }) => {
        const conf = writeConf({
          'codec.yml': `
codec-demo:
  type: Workflow
  params:
    word: str
    fail: { type: bool, default: false }
  jobs:
    main:
      stages:
        - name: Say
          id: say
          bash: echo "needle-output-7f3a $TF_PARAM_WORD"
        - name: Python
          id: py
          run: |
            note = "needle-python-7f3a"
        - name: Maybe fail
          id: maybe-fail
          bash: |
            if [ "$TF_PARAM_FAIL" = true ]; then echo "needle-failure-7f3a" >&2; exit 3; fi
`,
        });
        const wf = await Workflow.fromConf('codec-demo', { path: conf });
        const ok = await wf.execute({ word: 'needle-param-7f3a' }, { runtime });
        expect(ok.status).toBe('SUCCESS');
        expect(ok.context.jobs.main!.stages['say']!.outputs['stdout']).toBe('needle-output-7f3a needle-param-7f3a\n');
        expect(ok.context.jobs.main!.stages['py']!.outputs).toEqual({ note: 'needle-python-7f3a' });

        const failed = await wf.execute({ word: 'needle-param-7f3a', fail: true }, { runtime });
        expect(failed.status).toBe('FAILED');
        expect(failed.context.jobs.main!.stages['maybe-fail']).toMatchObject({ status: 'FAILED', error: { message: 'bash exited with code 3: needle-failure-7f3a' } });
        expect(failed.errors[0]!.message).toContain('needle-failure-7f3a');

        // The raw history, read by a client without the codec.
        const plainClient = new Client({ connection: runtime.connection, namespace: runtime.namespace });
        const rawEvents: unknown[] = [];
        for (const result of [ok, failed]) {
          const history = await plainClient.workflow.getHandle(result.runId).fetchHistory();
          rawEvents.push(history);
          const text = historyText(history).join('\n');
          expect(leaks(text), `history of ${result.runId}`).toEqual([]);
          expect(text).toContain(ENCRYPTED_ENCODING);
        }
        const failedText = historyText(rawEvents[1]).join('\n');
        expect(failedText).toContain('Encoded failure');
        // Without the codec the outcome cannot be read.
        await expect(plainClient.workflow.getHandle(ok.runId).result()).rejects.toThrow(/binary\/encrypted/);

        // The codec server decodes a payload from that raw history.
        const started = (rawEvents[0] as { events: { workflowExecutionStartedEventAttributes?: { input?: { payloads?: { metadata: Record<string, Uint8Array>; data: Uint8Array }[] } } }[] }).events[0]!
          .workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
        const port = await freePort();
        const tsxLoader = pathToFileURL(resolve(root, 'node_modules/tsx/dist/loader.mjs')).href;
        server = spawn(process.execPath, ['--import', tsxLoader, resolve(root, 'src/cli/main.ts'), 'codec-server', '--port', String(port), '--origin', 'http://localhost:8233'], {
          env: { ...process.env, ...codecEnv },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        await new Promise<void>((res, rej) => {
          const onData = (c: Buffer) => {
            out += c.toString();
            if (out.includes('--ui-codec-endpoint')) res();
          };
          server!.stderr!.on('data', onData);
          server!.once('exit', (code) => rej(new Error(`codec-server exited (${code}): ${out}`)));
        });
        expect(out).toContain('--ui-codec-endpoint http://127.0.0.1:');
        const body = {
          payloads: [
            {
              metadata: Object.fromEntries(Object.entries(started.metadata).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
              data: Buffer.from(started.data).toString('base64'),
            },
          ],
        };
        const res = await fetch(`http://127.0.0.1:${port}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'http://localhost:8233' }, body: JSON.stringify(body) });
        expect(res.status).toBe(200);
        expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
        const decoded = (await res.json()) as { payloads: { data: string }[] };
        expect(Buffer.from(decoded.payloads[0]!.data, 'base64').toString('utf8')).toContain('needle-param-7f3a');
      },
      { dataConverter: encryptingDataConverter(codec), workflowBundlePath: bundlePath },
    );
  });
});
