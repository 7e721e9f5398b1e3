/**
 * What the Web UI shows of a run waiting at an approval (docs/semantics.md,
 * "Approvals"): the approval's timer is labelled `job / stage: approval
 * times out`, and the run's current details say which stage waits and the
 * command that approves it — read back through the client.
 */
import { describe, expect, it } from 'vitest';
import { getRun } from '../../src/client/run-handle.js';
import { Workflow } from '../../src/client/workflow.js';
import { eventually } from '../helpers/processes.js';
import { withWorker, writeConf } from '../helpers/temporal.js';

const CONF = `
gated:
  type: Workflow
  jobs:
    deploy:
      stages:
        - name: Gate
          id: gate
          approval: Ship it to production?
          timeout: 600
        - name: Ship
          echo: shipped
    review:
      stages:
        - name: Review
          id: check
          approval: Reviewed?
`;

describe('a run waiting at an approval, as the Web UI shows it', () => {
  it('labels the approval timer and says in its current details what it waits for and how to approve it', async () => {
    const conf = writeConf({ 'gated.yml': CONF });
    await withWorker(async ({ runtime }) => {
      const wf = await Workflow.fromConf('gated', { path: conf });
      const run = await wf.start({}, { runtime });
      const handle = await getRun(run.runId, { runtime });
      const details = await eventually(async () => {
        const text = await handle.currentDetails();
        return text.includes('deploy.gate') && text.includes('review.check') ? text : '';
      }, 20_000);
      expect(details).toContain('Waiting for approval of `deploy.gate` (times out after 600 s): Ship it to production?');
      expect(details).toContain(`Approve: \`tempoflow approve ${run.runId} deploy.gate\``);
      expect(details).toContain(`Approve: \`tempoflow approve ${run.runId} review.check\``);

      // The approval's timer, as the history records it: its summary is the label.
      const history = await runtime.client.workflow.getHandle(run.runId).fetchHistory();
      const timers = (history.events ?? []).filter((e) => e.timerStartedEventAttributes);
      const labels = await Promise.all(
        timers.map(async (e) => (e.userMetadata?.summary ? await runtime.client.options.loadedDataConverter.payloadConverter.fromPayload(e.userMetadata.summary) : undefined)),
      );
      expect(labels).toContain('deploy / Gate: approval times out');

      await handle.approve('deploy.gate');
      const remaining = await eventually(async () => {
        const text = await handle.currentDetails();
        return text.includes('deploy.gate') ? '' : text;
      }, 20_000);
      expect(remaining).toContain('review.check');
      expect(remaining).not.toContain('deploy.gate');

      await handle.approve('review.check');
      const result = await handle.result();
      expect(result.status).toBe('SUCCESS');
      expect(await handle.currentDetails()).toBe('');
    });
  });
});
