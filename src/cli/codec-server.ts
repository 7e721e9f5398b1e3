/**
 * `tempoflow codec-server`: the remote codec endpoint of the Web UI (and of
 * `temporal --codec-endpoint`), decrypting payloads with the keys of
 * `TEMPOFLOW_CODEC_KEY` / `TEMPOFLOW_CODEC_PREVIOUS_KEYS` (`startCodecServer`).
 * Point the UI at it with `temporal server start-dev --ui-codec-endpoint
 * http://127.0.0.1:8888` or the UI's "Codec Server" setting.
 */
import type { Command } from 'commander';
import { CodecKeyError, startCodecServer } from '../client/codec-server.js';
import { action, CliExit, ExitCode, info, positiveNumber } from './common.js';

/** Options of `tempoflow codec-server`. */
export interface CodecServerCliOptions {
  port: number;
  host: string;
  origin: string[];
  tokenEnv?: string;
}

/** `tempoflow codec-server`: until SIGINT or SIGTERM. */
export async function codecServerCommand(opts: CodecServerCliOptions): Promise<ExitCode> {
  let token: string | undefined;
  if (opts.tokenEnv) {
    token = process.env[opts.tokenEnv];
    if (!token) throw new CliExit(ExitCode.INVALID, `--token-env ${opts.tokenEnv}: that variable is empty or unset`);
  }
  let server;
  try {
    server = await startCodecServer({ port: opts.port, host: opts.host, origins: opts.origin, ...(token ? { token } : {}), log: info });
  } catch (err) {
    if (err instanceof CodecKeyError) throw new CliExit(ExitCode.INVALID, `error: ${err.message}`);
    throw new CliExit(ExitCode.ERROR, (err as Error).message);
  }
  info(`codec server on ${server.url} (key id ${server.keyId}; CORS for ${opts.origin.join(', ')})`);
  info(`Web UI: temporal server start-dev --ui-codec-endpoint ${server.url}   (or the UI's Codec Server setting)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  return ExitCode.OK;
}

export function register(program: Command): void {
  program
    .command('codec-server')
    .description('serve /encode and /decode for the Temporal Web UI with the TEMPOFLOW_CODEC_KEY keys, until Ctrl-C')
    .option('--port <n>', 'port to listen on', positiveNumber('--port'), 8888)
    .option('--host <address>', 'address to listen on (keep it local unless behind TLS and auth)', '127.0.0.1')
    .option('--origin <url...>', 'Web UI origins allowed by CORS', [process.env.TEMPORAL_UI_URL?.replace(/\/+$/, '') || 'http://localhost:8233'])
    .option('--token-env <name>', 'require "Authorization: Bearer <token>", the token read from this environment variable')
    .action(action(codecServerCommand));
}
