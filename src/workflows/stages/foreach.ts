/**
 * `foreach:` runs its stages once per item (`item` and its 1-based `loop` in
 * scope), `concurrent` at once (default 1); the first failed item cancels
 * the running ones and starts no more (`ItemFailed`). Outputs: `{ items,
 * foreach: { <key>: { item, loop, status, stages } } }`, keyed by the item
 * itself for unique scalars, else by its 0-based index. More items than
 * `limits.foreachChunkSize` (default 200) run in chunk children
 * (`./foreach-chunks.ts`), so no history grows with the list.
 *
 * Workflow code: deterministic, no I/O.
 */
import type { ErrorInfo } from '../../engine/context.js';
import { StageErrorName } from '../../engine/stage-errors.js';
import { renderDeep, renderTemplate } from '../../expressions/index.js';
import { renderCount } from '../../engine/render.js';
import { stoppingFailure } from '../stop-state.js';
import { markNotStarted, runForeachChunks } from './foreach-chunks.js';
import type { StageKind } from './stage-kind.js';

/** Default number of `foreach` items above which they run in chunk children. */
export const DEFAULT_FOREACH_CHUNK_SIZE = 200;

/** See the module doc. */
export const foreachStage: StageKind<'foreach'> = {
  async run(stage, env) {
    const { input, ctx, scope, live } = env;
    // In a chunk child, the job is reduced to this stage and the chunk says which items to run.
    const chunk = input.foreachChunk && scope.prefix === input.foreachChunk.prefix && scope.stages === env.jobStages ? input.foreachChunk : undefined;
    let items: readonly unknown[];
    let keys: readonly string[];
    let loops: readonly number[];
    let limit: number;
    if (chunk) {
      ({ items, keys, loops } = chunk);
      limit = chunk.concurrent;
    } else {
      const raw = typeof stage.foreach === 'string' ? renderTemplate(stage.foreach, ctx) : renderDeep(stage.foreach, ctx);
      const list = typeof raw === 'string' && raw.trim().startsWith('[') ? (JSON.parse(raw) as unknown) : raw;
      if (!Array.isArray(list)) {
        throw new TypeError(`'foreach' must be a list (or a \${{ }} that yields one), got ${JSON.stringify(raw)?.slice(0, 200)}`);
      }
      items = list;
      keys = itemKeys(list);
      loops = list.map((_, i) => i + 1);
      limit = stage.concurrent === undefined ? 1 : Math.max(1, renderCount(stage.concurrent, ctx, 'concurrent'));
    }
    const perItem: Record<string, unknown> = {};
    const outputs = { items, foreach: perItem };
    live.outputs = outputs;
    const chunkSize = Math.max(1, input.limits?.foreachChunkSize ?? DEFAULT_FOREACH_CHUNK_SIZE);
    if (!chunk && items.length > chunkSize) return runForeachChunks(stage, env, { items, keys, concurrent: limit, chunkSize, outputs });
    const { failedAt, stopped } = await env.pool(
      items.length,
      limit,
      async (i) => (await env.runNested(stage.stages, scope, stage, keys[i]!, { item: items[i], loop: loops[i]! }, perItem)).status,
      true,
    );
    if (stopped) throw stoppingFailure();
    markNotStarted(keys, perItem);
    if (failedAt === undefined) return { ok: true, outputs };
    const failed = perItem[keys[failedAt]!] as { error?: ErrorInfo };
    return { ok: false, outputs, error: { name: StageErrorName.ItemFailed, message: `item ${keys[failedAt]} failed: ${failed.error?.message ?? 'a stage failed'}`, ...env.where } };
  },
};

/** Keys of `foreach` items: the item itself for unique scalars, else its 0-based index. */
function itemKeys(items: readonly unknown[]): string[] {
  const scalar = items.map((i) => (i === null || ['string', 'number', 'boolean'].includes(typeof i) ? String(i) : undefined));
  const unique = scalar.every((k) => k !== undefined && /^[^.\s]{1,100}$/.test(k)) && new Set(scalar).size === scalar.length;
  return unique ? (scalar as string[]) : items.map((_, i) => String(i));
}
