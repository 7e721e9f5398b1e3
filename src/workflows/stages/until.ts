/**
 * `until:` runs its stages, then evaluates the condition with the new `item`
 * and `loop` (and that loop's `stages.*`), until it holds or `max-loop`
 * (default 100) is reached (`LoopLimitError`). A stage output named `item`
 * becomes the next item; without one a numeric item counts up by one.
 * Outputs: `{ until: { <loop>: { item, loop, status, stages } }, loop, item }`.
 *
 * Workflow code: deterministic, no I/O.
 */
import type { StageContext } from '../../engine/context.js';
import { StageErrorName } from '../../engine/stage-errors.js';
import { Status } from '../../engine/status.js';
import { evaluateCondition, renderDeep } from '../../expressions/index.js';
import { renderCount } from '../../engine/render.js';
import { stoppingFailure } from '../stop-state.js';
import type { StageKind } from './stage-kind.js';

/** Default cap on `until` loops. */
export const DEFAULT_MAX_LOOP = 100;

/** See the module doc. */
export const untilStage: StageKind<'until'> = {
  async run(stage, env) {
    const { ctx, scope, where } = env;
    const maxLoop = stage.maxLoop === undefined ? DEFAULT_MAX_LOOP : Math.max(1, renderCount(stage.maxLoop, ctx, 'max-loop'));
    let item: unknown = stage.item === undefined ? 0 : renderDeep(stage.item, ctx);
    const loops: Record<string, unknown> = {};
    const outputs: Record<string, unknown> = { until: loops, loop: 0, item };
    env.live.outputs = outputs;
    for (let loop = 1; loop <= maxLoop; loop++) {
      const r = await env.runNested(stage.stages, scope, stage, String(loop), { item, loop }, loops);
      outputs.loop = loop;
      if (r.status === Status.CANCEL) throw stoppingFailure();
      if (r.status !== Status.SUCCESS) {
        return { ok: false, outputs, error: { name: StageErrorName.LoopFailed, message: `loop ${loop} failed: ${r.error?.message ?? 'a stage failed'}`, ...where } };
      }
      const stages = (loops[String(loop)] as { stages: Record<string, StageContext> }).stages;
      let produced = false;
      for (const st of Object.values(stages)) {
        if (st.status === Status.SUCCESS && Object.prototype.hasOwnProperty.call(st.outputs, 'item')) {
          item = st.outputs['item'];
          produced = true;
        }
      }
      if (!produced && typeof item === 'number') item = item + 1;
      outputs.item = item;
      if (evaluateCondition(stage.until, { values: env.values({ item, loop, stages }, scope) })) return { ok: true, outputs };
    }
    return {
      ok: false,
      outputs,
      error: { name: StageErrorName.LoopLimitError, message: `'until' did not hold after ${maxLoop} loops (max-loop); raise max-loop or fix the condition`, ...where },
    };
  },
};
