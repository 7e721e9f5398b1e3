/**
 * The SDK's logger, loaded lazily by `main.ts` only for commands that talk to
 * Temporal (so `validate`, `list` and `graph` start without loading the SDK).
 */
export { installSdkLogger } from '../client/runtime.js';
