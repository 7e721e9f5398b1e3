/**
 * `approval:` waits for an approve or reject decision on its stage path (or
 * for its `timeout`: `ApprovalTimeout`); a rejection fails it
 * (`ApprovalRejected`); neither is retried. The decision arrives as the
 * root run's `approval` signal, routed to the job (docs/semantics.md,
 * "Approvals"). Outputs: `{ approval: { message, approvers, waiting, since,
 * decidedAt?, approved?, by?, reason? } }`, live while it waits.
 *
 * Workflow code: deterministic, no I/O.
 */
import { condition, log } from '@temporalio/workflow';
import { StageErrorName } from '../../engine/stage-errors.js';
import { DEFER_SECRETS, renderTemplate } from '../../expressions/index.js';
import { masked } from '../../engine/render.js';
import type { StageKind } from './stage-kind.js';

/** See the module doc. */
export const approvalStage: StageKind<'approval'> = {
  async run(stage, { input, ctx, name, scope, live, where, timeoutSeconds, approvals, waiting }) {
    const path = scope.prefix + stage.id;
    const message = masked(renderTemplate(stage.approval, ctx, DEFER_SECRETS));
    const since = new Date().toISOString();
    live.outputs = { approval: { message, approvers: stage.approvers, waiting: true, since, ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}) } };
    log.info(`[${input.workflowName}] [${input.job.id}] [${path}] waiting for approval: ${message}`);
    const asked = () => approvals.has(path);
    const address = `${input.job.id}${input.matrixKey !== undefined ? `[${input.matrixKey}]` : ''}.${path}`;
    waiting.waitFor({ runId: input.runId, address, message, ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}) });
    let decided: boolean;
    try {
      // `condition(fn, undefined)` would not wait: call the one-argument form without a timeout.
      // The timer's summary is user metadata, not part of the StartTimer command a history checks.
      decided = timeoutSeconds !== undefined ? await condition(asked, timeoutSeconds * 1000, { summary: `${input.job.id} / ${name}: approval times out` }) : (await condition(asked), true);
    } finally {
      waiting.done(address);
    }
    if (!decided) {
      return {
        ok: false,
        nonRetryable: true,
        outputs: { approval: { message, approvers: stage.approvers, waiting: false, since } },
        error: { name: StageErrorName.ApprovalTimeout, message: `no decision within ${timeoutSeconds} s`, ...where },
      };
    }
    const decision = approvals.take(path)!;
    const record = {
      message,
      approvers: stage.approvers,
      waiting: false,
      since,
      decidedAt: new Date().toISOString(),
      approved: decision.approved,
      ...(decision.by ? { by: decision.by } : {}),
      ...(decision.reason ? { reason: decision.reason } : {}),
    };
    if (decision.approved) return { ok: true, outputs: { approval: record } };
    return {
      ok: false,
      nonRetryable: true,
      outputs: { approval: record },
      error: { name: StageErrorName.ApprovalRejected, message: `rejected${decision.by ? ` by ${decision.by}` : ''}${decision.reason ? `: ${decision.reason}` : ''}`, ...where },
    };
  },
};
