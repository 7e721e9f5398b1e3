/**
 * The runs list (recent runs from Temporal visibility, with filters, kept
 * fresh) and the workflows of the conf tree; and a workflow's page: its job
 * graph before any run (from `validate`), its problems, and a form that starts
 * a run.
 */
import { ApiError, get, post } from './api.js';
import { h, replace, when, duration } from './dom.js';
import { drawGraph } from './graph.js';
import { workflowGraph, type Listing, type WorkflowDetailData } from './model.js';
import { icon, lookOf, LOOKS } from './status.js';

interface RunRow {
  runId: string;
  status: string;
  start: string;
  close?: string;
  workflow?: string;
  releaseType?: string;
}

const STATUSES = ['', 'running', 'completed', 'failed', 'canceled', 'terminated', 'timedout'];

/** Shows the runs list and the workflows in `root`; returns a function that stops refreshing. */
export function showHome(root: HTMLElement, onError: (err: unknown) => void): () => void {
  const params = new URLSearchParams(location.search);
  const workflow = h('select', { 'aria-label': 'workflow' }, h('option', { value: '' }, 'All workflows'));
  const status = h('select', { 'aria-label': 'status' }, ...STATUSES.map((st) => h('option', { value: st }, st ? st : 'Any status')));
  const table = h('div', { class: 'runs' }, h('p', { class: 'muted' }, 'Loading runs…'));
  const workflows = h('section', { id: 'workflows' });
  replace(root, h('h1', {}, 'Runs'), h('div', { class: 'filters' }, workflow, status), table, h('h1', {}, 'Workflows'), workflows);
  status.value = params.get('status') ?? '';
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const load = async () => {
    const q = new URLSearchParams({ limit: '50', ...(workflow.value ? { workflow: workflow.value } : {}), ...(status.value ? { status: status.value } : {}) });
    try {
      const { runs } = await get<{ runs: RunRow[] }>(`/api/runs?${q}`);
      replace(table, runs.length ? runsTable(runs) : h('p', { class: 'muted' }, 'No runs yet. Start one from a workflow below, with `tempoflow run`, or POST /api/workflows/{name}/runs.'));
    } catch (err) {
      if (err instanceof ApiError && err.status !== 401) replace(table, h('p', { class: 'error-box' }, err.body.message));
      else return onError(err);
    }
    if (!stopped) timer = setTimeout(() => void load(), 5000);
  };
  const reload = () => {
    if (timer) clearTimeout(timer);
    const q = new URLSearchParams({ ...(workflow.value ? { workflow: workflow.value } : {}), ...(status.value ? { status: status.value } : {}) });
    history.replaceState(null, '', `/${q.size ? `?${q}` : ''}`);
    void load();
  };
  workflow.addEventListener('change', reload);
  status.addEventListener('change', reload);

  void (async () => {
    try {
      const { workflows: list } = await get<{ workflows: Listing[] }>('/api/workflows');
      for (const w of list) workflow.append(h('option', { value: w.name }, w.name));
      workflow.value = params.get('workflow') ?? '';
      replace(workflows, workflowsTable(list));
      await load();
    } catch (err) {
      onError(err);
    }
  })();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

function runsTable(runs: readonly RunRow[]): HTMLElement {
  return h(
    'table',
    { class: 'list' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Status'), h('th', {}, 'Run'), h('th', {}, 'Workflow'), h('th', {}, 'Started'), h('th', {}, 'Took'), h('th', {}, 'Release'))),
    h(
      'tbody',
      {},
      ...runs.map((r) => {
        const look = lookOf(r.status);
        return h(
          'tr',
          { 'data-run': r.runId, 'data-status': look },
          h('td', {}, h('span', { class: `badge st-${look}` }, icon(look), LOOKS[look].label)),
          h('td', {}, h('a', { href: `/runs/${encodeURIComponent(r.runId)}` }, r.runId)),
          h('td', {}, r.workflow ? h('a', { href: `/workflows/${encodeURIComponent(r.workflow)}` }, r.workflow) : ''),
          h('td', {}, when(r.start)),
          h('td', {}, r.close ? duration(r.start, r.close) : ''),
          h('td', {}, r.releaseType ?? ''),
        );
      }),
    ),
  );
}

function workflowsTable(list: readonly Listing[]): HTMLElement {
  if (list.length === 0) return h('p', { class: 'muted' }, 'No workflows in the conf tree.');
  return h(
    'table',
    { class: 'list' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Workflow'), h('th', {}, 'Params'), h('th', {}, 'Triggers'), h('th', {}, 'Jobs'))),
    h(
      'tbody',
      {},
      ...list.map((w) =>
        h(
          'tr',
          { 'data-workflow': w.name },
          h(
            'td',
            {},
            h('a', { href: `/workflows/${encodeURIComponent(w.name)}` }, w.name),
            w.valid ? null : h('span', { class: 'badge st-failed' }, icon('failed'), 'invalid'),
            w.desc ? h('div', { class: 'muted' }, w.desc.split('\n')[0]) : null,
          ),
          h('td', {}, w.params.map((p) => `${p.name}: ${p.type}`).join(', ')),
          h('td', {}, [...w.schedules.map((sch) => `${sch.cron} (${sch.timezone})`), ...(w.manual ? ['manual'] : []), ...(w.webhook ? [`webhook (${w.webhook.auth})`] : [])].join('; ')),
          h('td', {}, w.jobs.length ? String(w.jobs.length) : ''),
        ),
      ),
    ),
  );
}

/** Shows a workflow's page in `root`. */
export async function showWorkflow(root: HTMLElement, name: string, onError: (err: unknown) => void): Promise<void> {
  let detail: WorkflowDetailData;
  try {
    detail = await get<WorkflowDetailData>(`/api/workflows/${encodeURIComponent(name)}`);
  } catch (err) {
    return onError(err);
  }
  const { workflow: w, issues, definition } = detail;
  const problems = issues.length
    ? h(
        'section',
        { class: 'issues' },
        h('h2', {}, icon(w.valid ? 'approval' : 'failed'), w.valid ? ' Warnings' : ' Problems (tempoflow validate)'),
        h(
          'ul',
          { class: 'error-list' },
          ...issues.map((i) => h('li', { 'data-severity': i.severity }, h('code', {}, `${i.file}:${i.line}:${i.col}`), ` ${i.severity} [${i.code}] ${i.message}${i.hint ? ` (${i.hint})` : ''}`)),
        ),
      )
    : null;
  const form = h('form', { class: 'start' });
  const inputs = new Map<string, HTMLInputElement>();
  for (const p of w.params) {
    const input = h('input', { type: 'text', name: p.name, placeholder: p.default !== undefined ? `default: ${JSON.stringify(p.default)}` : p.required ? 'required' : 'optional' });
    inputs.set(p.name, input);
    form.append(h('label', {}, h('span', {}, `${p.name} `, h('span', { class: 'muted' }, p.type)), input, p.description ? h('span', { class: 'muted' }, p.description) : null));
  }
  const status = h('div', { 'aria-live': 'polite' });
  form.append(h('button', { type: 'submit', class: 'approve', disabled: !w.valid }, 'Start run'), status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params: Record<string, string> = {};
    for (const [key, input] of inputs) if (input.value !== '') params[key] = input.value;
    void (async () => {
      try {
        const started = await post<{ runId: string }>(`/api/workflows/${encodeURIComponent(name)}/runs`, { params });
        location.assign(`/runs/${encodeURIComponent(started.runId)}`);
      } catch (err) {
        if (!(err instanceof ApiError)) return onError(err);
        replace(
          status,
          h(
            'div',
            { class: 'error-box', role: 'alert' },
            err.body.message,
            h('ul', {}, ...(err.body.problems ?? []).map((p) => h('li', {}, `${p.param ? `${p.param}: ` : ''}${p.message}${p.location ? ` (${p.location})` : ''}`))),
          ),
        );
      }
    })();
  });
  replace(
    root,
    h('h1', {}, w.name, ' ', h('span', { class: 'muted run-id' }, w.file)),
    w.desc ? h('p', {}, w.desc) : null,
    problems,
    definition ? h('h2', {}, 'Job graph') : null,
    definition ? h('section', { class: 'graph-box' }, drawGraph(workflowGraph(definition))) : null,
    h('h2', {}, 'Start a run'),
    form,
    h('p', {}, h('a', { href: `/?workflow=${encodeURIComponent(w.name)}` }, `Runs of ${w.name} →`)),
  );
}
