/**
 * The web view of `tempoflow serve` (docs/api.md "Web view"): `/` lists runs
 * and workflows, `/runs/<id>` shows a run live, `/workflows/<name>` shows a
 * workflow's graph before it runs. The server sends the same page for every
 * path; this script picks what to show. Without a token (and unless the
 * server runs open) it asks for one first.
 */
import { ApiError, serverIsOpen, setToken, token } from './api.js';
import { h, replace } from './dom.js';
import { showHome, showWorkflow } from './list-pages.js';
import { showRun } from './run-page.js';

function root(): HTMLElement {
  return document.getElementById('app')!;
}

function showAuthState(): void {
  const el = document.getElementById('auth-state');
  if (!el) return;
  if (serverIsOpen()) replace(el, h('span', { class: 'muted', title: 'tempoflow dev on localhost: no API token' }, 'open (dev)'));
  else if (token()) replace(el, h('button', { class: 'link', onclick: () => (setToken(undefined), location.reload()) }, 'Forget token'));
  else replace(el);
}

/** Asks for the API token, then shows the page again. */
function askToken(reason?: string): void {
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'current-password', 'aria-label': 'API token', required: true });
  const form = h(
    'form',
    { class: 'login' },
    h('h1', {}, 'API token'),
    h('p', {}, 'This server needs its API token (TEMPOFLOW_API_TOKEN). It is kept in this tab only.'),
    reason ? h('p', { class: 'error-box', role: 'alert' }, reason) : null,
    input,
    h('button', { type: 'submit', class: 'approve' }, 'Continue'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setToken(input.value.trim());
    route();
  });
  replace(root(), form);
  input.focus();
}

/** What every page does with an error it cannot show itself. */
function onError(err: unknown): void {
  if (err instanceof ApiError && err.status === 401) {
    setToken(undefined);
    return askToken(token() ? 'That token was refused.' : err.body.message);
  }
  replace(root(), h('p', { class: 'error-box', role: 'alert' }, err instanceof ApiError ? err.body.message : `cannot reach the server: ${(err as Error).message}`));
}

let stop: (() => void) | undefined;

function route(): void {
  stop?.();
  stop = undefined;
  showAuthState();
  if (!serverIsOpen() && !token()) return askToken();
  const path = location.pathname;
  const run = /^\/runs\/(.+)$/.exec(path);
  const workflow = /^\/workflows\/(.+)$/.exec(path);
  if (run) {
    const runId = decodeURIComponent(run[1]!);
    document.title = `${runId} · tempoflow`;
    stop = showRun(root(), runId, () => onError(new ApiError(401, { code: 'unauthorized', message: 'This server needs its API token.' })));
  } else if (workflow) {
    const name = decodeURIComponent(workflow[1]!);
    document.title = `${name} · tempoflow`;
    void showWorkflow(root(), name, onError);
  } else {
    document.title = 'Runs · tempoflow';
    stop = showHome(root(), onError);
  }
}

route();
