/**
 * The connection of a CLI command: connect, run the command's body, close
 * (stopping the in-process worker, leaving the embedded server) whatever
 * happens, so no command repeats connect/try/finally/close.
 */
import { TempoflowRuntime, type RuntimeOptions } from '../client/runtime.js';
import { info } from './common.js';

/**
 * Connects per the environment (progress on stderr), runs `body` with the
 * connection and closes it. `options` as `TempoflowRuntime.connect()`
 * takes them: by default a worker runs in the process only on the
 * embedded server.
 */
export async function withRuntime<T>(options: RuntimeOptions, body: (runtime: TempoflowRuntime) => Promise<T>): Promise<T> {
  const runtime = await TempoflowRuntime.connect({ log: info, ...options });
  try {
    return await body(runtime);
  } finally {
    await runtime.close();
  }
}

/** The connection of a command that only talks to runs and schedules: no worker in the CLI process. */
export const CONTROL: RuntimeOptions = { inProcessWorker: false };
