/**
 * `raise:` fails the stage with its rendered message (`RaiseError`, retried
 * per `retry:` like any stage failure).
 *
 * Workflow code: deterministic, no I/O.
 */
import { StageErrorName } from '../../engine/stage-errors.js';
import { DEFER_SECRETS, renderTemplate } from '../../expressions/index.js';
import { masked } from '../../engine/render.js';
import type { StageKind } from './stage-kind.js';

/** See the module doc. */
export const raiseStage: StageKind<'raise'> = {
  async run(stage, { ctx, where }) {
    const message = masked(renderTemplate(stage.raise, ctx, DEFER_SECRETS));
    return { ok: false, outputs: {}, error: { name: StageErrorName.RaiseError, message, ...where } };
  },
};
