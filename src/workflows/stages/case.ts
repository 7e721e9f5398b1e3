/**
 * `case:` renders its value and runs the first branch whose `case` equals it
 * (loosely, or as the same display text), else the `else` branch, with
 * `case` in scope. No match and no `else` fails the stage (`CaseNotMatched`,
 * never retried) unless `skip-not-match: true`. Outputs: `{ case, matched,
 * branches: { <key>: { case, status, stages } } }`.
 *
 * Workflow code: deterministic, no I/O.
 */
import { StageErrorName } from '../../engine/stage-errors.js';
import { Status } from '../../engine/status.js';
import { looseEquals, renderTemplate } from '../../expressions/index.js';
import { display } from '../../engine/render.js';
import { stoppingFailure } from '../stop-state.js';
import type { StageKind } from './stage-kind.js';

/** See the module doc. */
export const caseStage: StageKind<'case'> = {
  async run(stage, env) {
    const { ctx, where } = env;
    const value = renderTemplate(stage.case, ctx);
    let chosen: (typeof stage.match)[number] | undefined;
    for (const m of stage.match) {
      if (m.else) continue;
      const candidate = typeof m.case === 'string' ? renderTemplate(m.case, ctx) : m.case;
      if (candidate === value || looseEquals(candidate, value) || display(candidate) === display(value)) {
        chosen = m;
        break;
      }
    }
    chosen ??= stage.match.find((m) => m.else);
    const branches: Record<string, unknown> = {};
    const outputs: Record<string, unknown> = { case: value, matched: chosen ? (chosen.else ? 'else' : display(chosen.case)) : null, branches };
    env.live.outputs = outputs;
    if (!chosen) {
      if (stage.skipNotMatch) return { ok: true, outputs: { ...outputs, skipped: true } };
      return {
        ok: false,
        nonRetryable: true,
        outputs,
        error: { name: StageErrorName.CaseNotMatched, message: `no branch matches ${JSON.stringify(value)} and there is no else; add one, or set skip-not-match: true`, ...where },
      };
    }
    const key = chosen.else ? 'else' : display(chosen.case);
    const r = await env.runNested(chosen.stages, env.scope, stage, key, { case: value }, branches);
    if (r.status === Status.CANCEL) throw stoppingFailure();
    if (r.status === Status.SUCCESS) return { ok: true, outputs };
    return { ok: false, outputs, error: { name: StageErrorName.BranchFailed, message: `case ${key} failed: ${r.error?.message ?? 'a stage failed'}`, ...where } };
  },
};
