/**
 * `tempoflow codec-server`: the remote codec endpoint of the Web UI (and of
 * `temporal --codec-endpoint`), decrypting payloads with the keys of
 * `TEMPOFLOW_CODEC_KEY` / `TEMPOFLOW_CODEC_PREVIOUS_KEYS`. Point the UI at it
 * with `temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8888`
 * or the UI's "Codec Server" setting.
 */
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { codecFromEnv, CODEC_KEY_ENV } from '../codec/index.js';
import { createCodecServer } from '../codec/server.js';
import { action, CliExit, ExitCode, info, positiveNumber } from './common.js';

export function register(program: Command): void {
  program
    .command('codec-server')
    .description('serve /encode and /decode for the Temporal Web UI with the TEMPOFLOW_CODEC_KEY keys, until Ctrl-C')
    .option('--port <n>', 'port to listen on', positiveNumber('--port'), 8888)
    .option('--host <address>', 'address to listen on (keep it local unless behind TLS and auth)', '127.0.0.1')
    .option('--origin <url...>', 'Web UI origins allowed by CORS', [process.env.TEMPORAL_UI_URL?.replace(/\/+$/, '') || 'http://localhost:8233'])
    .option('--token-env <name>', 'require "Authorization: Bearer <token>", the token read from this environment variable')
    .action(
      action(async (opts: { port: number; host: string; origin: string[]; tokenEnv?: string }) => {
        let codec;
        try {
          codec = codecFromEnv();
        } catch (err) {
          throw new CliExit(ExitCode.INVALID, `error: ${(err as Error).message}`);
        }
        if (!codec) throw new CliExit(ExitCode.INVALID, `${CODEC_KEY_ENV} is not set; set it to the key the workers use (32 bytes, base64 or hex)`);
        let token: string | undefined;
        if (opts.tokenEnv) {
          token = process.env[opts.tokenEnv];
          if (!token) throw new CliExit(ExitCode.INVALID, `--token-env ${opts.tokenEnv}: that variable is empty or unset`);
        }
        const server = createCodecServer(codec, { origins: opts.origin, ...(token ? { token } : {}), log: info });
        await new Promise<void>((resolve, reject) => {
          server.once('error', (err: NodeJS.ErrnoException) =>
            reject(new CliExit(ExitCode.ERROR, `cannot listen on ${opts.host}:${opts.port}: ${err.code ?? err.message}${err.code === 'EADDRINUSE' ? '; pick another --port' : ''}`)),
          );
          server.listen(opts.port, opts.host, () => resolve());
        });
        const { port } = server.address() as AddressInfo;
        info(`codec server on http://${opts.host}:${port} (key id ${codec.keyId}; CORS for ${opts.origin.join(', ')})`);
        info(`Web UI: temporal server start-dev --ui-codec-endpoint http://${opts.host}:${port}   (or the UI's Codec Server setting)`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        await new Promise<void>((resolve) => server.close(() => resolve()));
        return ExitCode.OK;
      }),
    );
}
