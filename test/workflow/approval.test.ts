/**
 * `approval` stages through the real interpreter workflow under time
 * skipping: cancellation while one waits, its timeout of an hour, the run's
 * timeout while it waits, and a rejection.
 */
import { describe, expect, it } from 'vitest';
import type { RunContext } from '../../src/engine/context.js';
import { approvalSignal, cancelSignal } from '../../src/workflows/definitions.js';
import { FakeStages, secondsBetween, succeed, useWorkflowTestEnv, waitForStatus } from '../helpers/time-skipping.js';

const env = useWorkflowTestEnv();

/** A build, a gate, a ship stage; a job that needs it. `timeout` is the gate's. */
function gatedYaml(name: string, options: { gateTimeout?: string; runTimeout?: string } = {}): string {
  return `
${name}:
  type: Workflow
  timeout: ${options.runTimeout ?? '6h'}
  jobs:
    deploy:
      stages:
        - name: Build
          bash: build
        - name: Gate
          approval: Ship build \${{ workflow.run_id }}?
          approvers: [ops]${options.gateTimeout ? `\n          timeout: ${options.gateTimeout}` : ''}
        - name: Ship
          bash: ship
    announce:
      needs: [deploy]
      stages:
        - name: Announce
          bash: announce
`;
}

function gateWaiting(context: RunContext): boolean {
  const gate = context.jobs.deploy?.stages['gate'];
  return gate?.status === 'WAIT' && (gate.outputs as { approval?: { waiting?: boolean } }).approval?.waiting === true;
}

const allFakes = () => new FakeStages({ build: () => succeed(), ship: () => succeed(), announce: () => succeed() });

describe('cancel during an approval wait', () => {
  for (const how of ['handle.cancel()', 'cancel signal'] as const) {
    it(`via ${how}: run CANCEL, the gate CANCEL with the stop reason, nothing after it runs`, async () => {
      const fakes = allFakes();
      await env.withRun({ workflow: 'gated', fakes, yaml: gatedYaml('gated', { gateTimeout: '2h' }) }, async (run) => {
        const waiting = await waitForStatus(run, gateWaiting);
        expect((waiting.jobs.deploy!.stages['gate']!.outputs as { approval: unknown }).approval).toMatchObject({
          message: `Ship build ${run.runId}?`,
          approvers: ['ops'],
          waiting: true,
          timeoutSeconds: 7200,
        });
        if (how === 'handle.cancel()') await run.handle.cancel();
        else await run.handle.signal(cancelSignal, 'changed our minds');
        const result = await run.result();
        expect(result.status).toBe('CANCEL');
        const deploy = result.context.jobs.deploy!;
        expect(deploy).toMatchObject({ status: 'CANCEL', reason: 'the run was cancelled while this job was running' });
        expect(deploy.stages['build']?.status).toBe('SUCCESS');
        expect(deploy.stages['gate']).toMatchObject({ status: 'CANCEL', reason: 'the run was cancelled while this stage was running' });
        expect(deploy.stages['ship']).toMatchObject({ status: 'CANCEL', reason: 'the run was cancelled before this stage started' });
        expect(result.context.jobs.announce).toMatchObject({ status: 'CANCEL', reason: 'the run was cancelled before this job started' });
        expect(fakes.calls.map((c) => c.stage)).toEqual(['build']);
        // The execution itself ends Cancelled, whichever way it was asked.
        expect((await run.handle.describe()).status.name).toBe('CANCELLED');
      });
    });
  }
});

describe('approval timeout', () => {
  it('ends the gate FAILED with ApprovalTimeout after its hour, in skipped time', async () => {
    const fakes = allFakes();
    const result = await env.runToEnd({ workflow: 'gated-timeout', fakes, yaml: gatedYaml('gated-timeout', { gateTimeout: '1h' }) });
    expect(result.status).toBe('FAILED');
    const gate = result.context.jobs.deploy!.stages['gate']!;
    expect(gate).toMatchObject({ status: 'FAILED', error: { name: 'ApprovalTimeout', message: 'no decision within 3600 s', stage: 'gate' } });
    expect((gate.outputs as { approval: unknown }).approval).toMatchObject({ waiting: false, approvers: ['ops'] });
    expect(secondsBetween(gate.start, gate.end)).toBeGreaterThanOrEqual(3600);
    expect(secondsBetween(gate.start, gate.end)).toBeLessThan(3615);
    // A timed-out approval is not retried, and nothing after it runs.
    expect(gate.attempt).toBe(1);
    expect(result.context.jobs.deploy!.stages['ship']).toMatchObject({ status: 'SKIP', reason: 'an earlier stage failed' });
    expect(result.context.jobs.announce?.status).toBe('SKIP');
    expect(fakes.calls.map((c) => c.stage)).toEqual(['build']);
    expect(result.errors).toContainEqual(expect.objectContaining({ name: 'ApprovalTimeout', job: 'deploy' }));
  });

  it('without a gate timeout, the run timeout ends the wait: run TIMEOUT, gate CANCEL', async () => {
    const fakes = allFakes();
    const result = await env.runToEnd({ workflow: 'gated-run-timeout', fakes, yaml: gatedYaml('gated-run-timeout', { runTimeout: '3h' }) });
    expect(result.status).toBe('TIMEOUT');
    expect(result.context.jobs.deploy?.stages['gate']).toMatchObject({ status: 'CANCEL', reason: 'the run timed out while this stage was running' });
    expect(result.context.jobs.deploy).toMatchObject({ status: 'TIMEOUT', reason: 'the run timed out while this job was running' });
    expect(result.context.jobs.announce).toMatchObject({ status: 'CANCEL', reason: 'the run timed out before this job started' });
    expect(secondsBetween(result.context.start, result.context.end)).toBeGreaterThanOrEqual(3 * 3600);
    expect(fakes.calls.map((c) => c.stage)).toEqual(['build']);
  });
});

describe('approval decisions', () => {
  it('a rejection fails the gate with ApprovalRejected naming who and why', async () => {
    const fakes = allFakes();
    await env.withRun({ workflow: 'gated-reject', fakes, yaml: gatedYaml('gated-reject', { gateTimeout: '1h' }) }, async (run) => {
      await waitForStatus(run, gateWaiting);
      await run.handle.signal(approvalSignal, { stage: 'deploy.gate', approved: false, by: 'alice', reason: 'not on a Friday' });
      const result = await run.result();
      expect(result.status).toBe('FAILED');
      const gate = result.context.jobs.deploy!.stages['gate']!;
      expect(gate).toMatchObject({ status: 'FAILED', error: { name: 'ApprovalRejected', message: 'rejected by alice: not on a Friday' } });
      expect((gate.outputs as { approval: unknown }).approval).toMatchObject({ approved: false, by: 'alice', reason: 'not on a Friday', waiting: false });
      expect(fakes.calls.map((c) => c.stage)).toEqual(['build']);
    });
  });

  it('an approval lets the job go on', async () => {
    const fakes = allFakes();
    await env.withRun({ workflow: 'gated-approve', fakes, yaml: gatedYaml('gated-approve', { gateTimeout: '1h' }) }, async (run) => {
      await waitForStatus(run, gateWaiting);
      await run.handle.signal(approvalSignal, { stage: 'gate', approved: true, by: 'bob' });
      const result = await run.result();
      expect(result.status).toBe('SUCCESS');
      expect(result.context.jobs.deploy!.stages['gate']).toMatchObject({ status: 'SUCCESS', outputs: { approval: { approved: true, by: 'bob' } } });
      expect(fakes.calls.map((c) => c.stage)).toEqual(['build', 'ship', 'announce']);
    });
  });
});
