/**
 * Size caps on what enters Temporal history (ARCHITECTURE.md "Scale: keeping
 * every history small"): a stage's outputs at most 64 KB of JSON, a run
 * context at most 1 MB. Values that do not fit are
 * replaced, largest first, by a `__truncated` marker that says how big they
 * were and what to do instead, so the structure (statuses, errors) survives.
 *
 * Pure module: safe to import from workflow code (no Buffer).
 */
import type { JobContext, RunContext, StageContext } from './context.js';
import { utf8Length } from './context.js';

/** Largest JSON of one stage's outputs, in UTF-8 bytes. */
export const STAGE_OUTPUT_CAP_BYTES = 64 * 1024;

/** Largest JSON of a run context in history, in UTF-8 bytes. */
export const CONTEXT_CAP_BYTES = 1024 * 1024;

/** Largest context put into a failure's details (docs/semantics.md "End states in Temporal"). */
export const FAILURE_DETAILS_CAP_BYTES = 256 * 1024;

/** What replaces a value that did not fit. */
export interface TruncatedValue {
  readonly __truncated: true;
  /** UTF-8 bytes of the value's JSON. */
  readonly bytes: number;
  readonly message: string;
}

/** UTF-8 bytes of a value's JSON. */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value);
  return text === undefined ? 0 : utf8Length(text);
}

function marker(bytes: number, what: string, cap: number): TruncatedValue {
  return {
    __truncated: true,
    bytes,
    message: `${what} of ${bytes} bytes did not fit the ${Math.round(cap / 1024)} KB cap; write large data to a file or object storage and pass its path`,
  };
}

/**
 * Caps one stage's outputs: the largest values are replaced by markers until
 * the whole object fits `maxBytes`. Returns the same object when it fits.
 */
export function capStageOutputs(outputs: Record<string, unknown>, maxBytes = STAGE_OUTPUT_CAP_BYTES): Record<string, unknown> {
  if (jsonBytes(outputs) <= maxBytes) return outputs;
  const sized = Object.entries(outputs).map(([k, v]) => ({ k, v, bytes: jsonBytes(v) }));
  let total = jsonBytes(outputs);
  for (const e of [...sized].sort((a, b) => b.bytes - a.bytes)) {
    if (total <= maxBytes) break;
    const m = marker(e.bytes, `output '${e.k}'`, maxBytes);
    const mBytes = jsonBytes(m);
    if (mBytes >= e.bytes) break;
    total -= e.bytes - mBytes;
    e.v = m;
  }
  const out: Record<string, unknown> = {};
  for (const e of sized) out[e.k] = e.v;
  if (total > maxBytes) return { __truncated: true, bytes: jsonBytes(outputs), message: marker(jsonBytes(outputs), 'the outputs', maxBytes).message };
  return out;
}

/** Every `outputs` object inside a context, with a setter to replace it. */
function outputSlots(ctx: RunContext): { get: () => unknown; set: (v: unknown) => void }[] {
  const slots: { get: () => unknown; set: (v: unknown) => void }[] = [];
  const stageSlots = (stages: Record<string, StageContext>) => {
    for (const st of Object.values(stages)) slots.push({ get: () => st.outputs, set: (v) => (st.outputs = v as Record<string, unknown>) });
  };
  const jobSlots = (job: JobContext) => {
    slots.push({ get: () => job.outputs, set: (v) => (job.outputs = v as Record<string, unknown>) });
    stageSlots(job.stages);
    for (const s of job.strategies ?? []) slots.push({ get: () => s.outputs, set: (v) => (s.outputs = v as Record<string, unknown>) });
  };
  for (const job of Object.values(ctx.jobs)) jobSlots(job);
  if (ctx.outputs) slots.push({ get: () => ctx.outputs, set: (v) => (ctx.outputs = v as Record<string, unknown>) });
  return slots;
}

/**
 * A copy of the context whose JSON fits `maxBytes`: outputs are replaced by
 * markers, largest first; if statuses alone are still too big, stage detail
 * is dropped (counted in a marker), keeping each job's status and first
 * errors. The input is not modified.
 */
export function capContext(context: RunContext, maxBytes = CONTEXT_CAP_BYTES): RunContext {
  const before = jsonBytes(context);
  if (before <= maxBytes) return context;
  const copy = JSON.parse(JSON.stringify(context)) as RunContext;
  let total = before;
  const slots = outputSlots(copy)
    .map((slot) => ({ slot, bytes: jsonBytes(slot.get()) }))
    .sort((a, b) => b.bytes - a.bytes);
  for (const { slot, bytes } of slots) {
    if (total <= maxBytes) break;
    const m = marker(bytes, 'outputs', maxBytes);
    const mBytes = jsonBytes(m);
    if (mBytes >= bytes) break;
    slot.set(m);
    total -= bytes - mBytes;
  }
  if (total <= maxBytes) return copy;
  if (jsonBytes(copy.params) > maxBytes / 4) copy.params = marker(jsonBytes(copy.params), 'params', maxBytes) as unknown as Record<string, unknown>;
  for (const [id, job] of Object.entries(copy.jobs)) {
    const stageCount = Object.keys(job.stages).length;
    copy.jobs[id] = {
      status: job.status,
      ...(job.reason ? { reason: job.reason } : {}),
      outputs: job.outputs,
      stages: stageCount ? { __truncated: { status: 'SKIP', name: `${stageCount} stages dropped to fit the context cap`, outputs: {} } } : {},
      errors: job.errors.slice(0, 3),
      ...(job.strategies ? { strategies: job.strategies.map((s) => ({ key: s.key, matrix: s.matrix, status: s.status, outputs: s.outputs })) } : {}),
      ...(job.continueOnError ? { continueOnError: true } : {}),
    } as JobContext;
  }
  copy.errors = copy.errors.slice(0, 20);
  return copy;
}
