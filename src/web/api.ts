/**
 * The page's side of the HTTP API (docs/api.md): JSON calls with the bearer
 * token the user typed (kept in this tab's session storage), and the live
 * stream of a run (server-sent events read from a fetch, because
 * `EventSource` cannot send the token).
 */
import type { ErrorBody } from '../server/schemas.js';

const TOKEN_KEY = 'tempoflow.token';

/** The server runs open (`tempoflow dev` on localhost): no token to ask for. */
export function serverIsOpen(): boolean {
  return document.body.dataset.auth === 'open';
}

export function token(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function setToken(value: string | undefined): void {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** An error answer of the API. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody['error'],
  ) {
    super(body.message);
  }
}

function headers(json: boolean): Record<string, string> {
  const t = token();
  return { ...(t ? { Authorization: `Bearer ${t}` } : {}), ...(json ? { 'Content-Type': 'application/json' } : {}), Accept: 'application/json' };
}

async function answer<T>(response: Response): Promise<T> {
  const text = await response.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError(response.status, { code: 'bad-answer', message: `the server answered ${response.status} with something that is not JSON` });
  }
  if (!response.ok) {
    const error = (data as Partial<ErrorBody>).error ?? { code: 'http', message: `HTTP ${response.status}` };
    throw new ApiError(response.status, error);
  }
  return data as T;
}

export async function get<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path, { headers: headers(false) }));
}

export async function post<T>(path: string, body: unknown = {}): Promise<T> {
  return answer<T>(await fetch(path, { method: 'POST', headers: headers(true), body: JSON.stringify(body) }));
}

/**
 * Follows a stream of server-sent events; `onEvent` gets each event's name
 * and data. Resolves when the stream ends (or `signal` aborts); rejects with
 * `ApiError` for an error answer.
 */
export async function follow(path: string, onEvent: (event: string, data: string) => void, signal: AbortSignal): Promise<void> {
  const response = await fetch(path, { headers: { ...headers(false), Accept: 'text/event-stream' }, signal });
  if (!response.ok || !response.body) await answer(response);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) onEvent(event, data.join('\n'));
    }
  }
}
