/**
 * A run's page: its status, what waits for a decision (Approve / Reject), its
 * errors, the job graph of its YAML snapshot with each job's live status, and
 * each job's stages with durations, log tails and Temporal Web UI links. It
 * follows the run's event stream while the run moves (polling when the stream
 * cannot be had) and stops when the run has ended.
 */
import { ApiError, follow, get, post } from './api.js';
import { duration, h, replace, when } from './dom.js';
import { drawGraph } from './graph.js';
import { combinationLink, jobLook, matrixLabel, runGraph, stageLink, stageLook, stagesOf, type DefinitionData, type JobContext, type Links, type RunView, type StageContext } from './model.js';
import { icon, lookOf, LOOKS, type Look } from './status.js';

interface State {
  readonly runId: string;
  view?: RunView;
  definition?: DefinitionData;
  links?: Links;
  linksAt: number;
  linkedStages: number;
  expanded: Set<string>;
  selected?: string;
  /** Open log panes, by `job/stage/stream`, kept across renders. */
  open: Set<string>;
  message?: string;
  approvalsKey?: string;
}

function badge(look: Look, text = LOOKS[look].label): HTMLElement {
  return h('span', { class: `badge st-${look}`, 'data-status': look }, icon(look), text);
}

/** Shows the run page of `runId` in `root`; returns a function that stops following the run. */
export function showRun(root: HTMLElement, runId: string, onUnauthorized: () => void): () => void {
  const state: State = { runId, linksAt: 0, linkedStages: -1, expanded: new Set(), open: new Set() };
  const parts = {
    head: h('section', { class: 'run-head' }),
    approvals: h('section', { class: 'approvals', 'aria-live': 'polite' }),
    errors: h('section', { class: 'errors' }),
    graph: h('section', { class: 'graph-box' }),
    jobs: h('section', { class: 'jobs' }),
  };
  replace(root, parts.head, parts.approvals, parts.errors, h('h2', {}, 'Job graph'), parts.graph, h('h2', {}, 'Jobs'), parts.jobs);
  const controller = new AbortController();
  const api = `/api/runs/${encodeURIComponent(runId)}`;

  const render = () => {
    const view = state.view;
    if (!view) return;
    renderHead(parts.head, state, view, api, refresh);
    renderApprovals(parts.approvals, state, view, api, refresh);
    renderErrors(parts.errors, view);
    const graph = drawGraph(runGraph(view, state.definition, state.expanded), {
      ...(state.selected ? { selected: state.selected } : {}),
      onSelect: (jobId) => {
        state.selected = jobId;
        render();
        document.getElementById(`job-${jobId}`)?.scrollIntoView({ behavior: 'smooth', block: 'start' });
      },
      onToggle: (jobId) => {
        if (state.expanded.has(jobId)) state.expanded.delete(jobId);
        else state.expanded.add(jobId);
        render();
      },
    });
    replace(parts.graph, graph);
    renderJobs(parts.jobs, state, view);
    void refreshLinks();
  };

  /** The Web UI links, again when more stages have run (at most every 3 s). */
  const refreshLinks = async () => {
    const view = state.view;
    if (!view?.uiUrl) return;
    const ran = Object.values(view.context?.jobs ?? {}).reduce((n, j) => n + Object.keys(j.stages).length, 0);
    if (ran === state.linkedStages || Date.now() - state.linksAt < 3000) return;
    state.linksAt = Date.now();
    state.linkedStages = ran;
    try {
      state.links = await get<Links>(`${api}/links`);
      renderJobs(parts.jobs, state, view);
    } catch {
      /* links are a convenience: the run's own link stays */
    }
  };

  const take = (view: RunView) => {
    state.view = view;
    render();
  };

  const refresh = async () => {
    try {
      take(await get<RunView>(api));
    } catch (err) {
      fail(err);
    }
  };

  const fail = (err: unknown) => {
    if (err instanceof ApiError && err.status === 401) return onUnauthorized();
    const message = err instanceof ApiError ? err.body.message : (err as Error).message;
    replace(parts.head, h('p', { class: 'error-box', role: 'alert' }, message));
  };

  /** Polling, when the event stream cannot be had. */
  const poll = async () => {
    while (!controller.signal.aborted) {
      try {
        const view = await get<RunView>(api);
        take(view);
        if (!view.running) return;
      } catch (err) {
        fail(err);
        if (err instanceof ApiError && (err.status === 401 || err.status === 404)) return;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  };

  void (async () => {
    try {
      state.definition = (await get<{ definition: DefinitionData }>(`${api}/definition`)).definition;
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 404)) return fail(err);
      /* without the definition the graph is drawn from the jobs the run has */
    }
    try {
      await follow(
        `${api}/events`,
        (event, data) => {
          if (event === 'run') take(JSON.parse(data) as RunView);
          else if (event === 'error') fail(new ApiError(500, (JSON.parse(data) as { error: { code: string; message: string } }).error));
        },
        controller.signal,
      );
    } catch (err) {
      if (controller.signal.aborted) return;
      if (err instanceof ApiError) return fail(err);
      await poll();
    }
  })();
  return () => controller.abort();
}

function renderHead(el: HTMLElement, state: State, view: RunView, api: string, refresh: () => Promise<void>): void {
  const look = lookOf(view.status);
  const shown: Look = view.running ? (view.waitingApprovals.length ? 'approval' : 'running') : look;
  const actions = h('div', { class: 'actions' });
  if (view.running) {
    actions.append(
      h(
        'button',
        {
          class: 'danger',
          onclick: async () => {
            if (!confirm(`Cancel run ${view.runId}? Running stages are stopped.`)) return;
            await act(el, () => post(`${api}/cancel`, { reason: 'cancelled from the web view' }));
            await refresh();
          },
        },
        'Cancel run',
      ),
    );
  } else if (look !== 'success') {
    actions.append(
      h(
        'button',
        {
          onclick: async () => {
            const started = await act(el, () => post<{ runId: string }>(`${api}/rerun`, {}));
            if (started) location.assign(`/runs/${encodeURIComponent(started.runId)}`);
          },
        },
        'Rerun what failed',
      ),
    );
  }
  if (view.uiUrl) actions.append(h('a', { class: 'button', href: view.uiUrl, target: '_blank', rel: 'noopener' }, 'Open in Temporal UI ↗'));
  replace(
    el,
    h(
      'div',
      { class: 'run-title' },
      h('h1', {}, view.workflow ? h('a', { href: `/workflows/${encodeURIComponent(view.workflow)}` }, view.workflow) : 'run', ' ', h('span', { class: 'run-id' }, view.runId)),
      h('div', { class: 'run-status', id: 'run-status', 'data-status': shown }, badge(shown)),
    ),
    h(
      'p',
      { class: 'muted' },
      `Started ${when(view.startTime)}`,
      view.closeTime ? ` · ended ${when(view.closeTime)} · took ${duration(view.startTime, view.closeTime)}` : ` · running for ${duration(view.startTime)}`,
    ),
    view.problem ? h('p', { class: 'error-box', role: 'alert' }, view.problem) : null,
    state.message ? h('p', { class: 'error-box', role: 'alert' }, state.message) : null,
    actions,
  );
}

/** Runs an action; shows its error in `el` instead of throwing. */
async function act<T>(el: HTMLElement, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    el.append(h('p', { class: 'error-box', role: 'alert' }, err instanceof ApiError ? err.body.message : (err as Error).message));
    return undefined;
  }
}

function renderApprovals(el: HTMLElement, state: State, view: RunView, api: string, refresh: () => Promise<void>): void {
  // Drawn again only when the waiting approvals change, so a reason being typed survives live updates.
  const key = JSON.stringify(view.waitingApprovals.map((w) => w.path));
  if (key === state.approvalsKey) return;
  state.approvalsKey = key;
  if (view.waitingApprovals.length === 0) return replace(el);
  replace(
    el,
    h('h2', {}, icon('approval'), ` Waiting for a decision (${view.waitingApprovals.length})`),
    ...view.waitingApprovals.map((w) => {
      const reason = h('input', { type: 'text', placeholder: 'Reason (optional)', title: 'Recorded with the decision; a rejected stage fails with it', 'aria-label': `reason for ${w.path}` });
      const decide = (decision: 'approve' | 'reject') => async () => {
        const done = await act(el, () => post(`${api}/${decision}`, { stage: w.path, ...(reason.value ? { reason: reason.value } : {}), by: 'web view' }));
        if (done) {
          state.approvalsKey = undefined;
          await refresh();
        }
      };
      return h(
        'div',
        { class: 'approval', 'data-approval': w.path },
        h('div', {}, h('strong', {}, w.path), w.since ? h('span', { class: 'muted' }, ` · since ${when(w.since)}`) : null),
        w.message ? h('p', {}, w.message) : null,
        w.approvers.length ? h('p', { class: 'muted' }, `Approvers: ${w.approvers.join(', ')}`) : null,
        h('div', { class: 'actions' }, reason, h('button', { class: 'approve', onclick: decide('approve') }, 'Approve'), h('button', { class: 'danger', onclick: decide('reject') }, 'Reject')),
      );
    }),
  );
}

function renderErrors(el: HTMLElement, view: RunView): void {
  const errors = view.context?.errors ?? [];
  if (errors.length === 0) return replace(el);
  replace(
    el,
    h('h2', {}, icon('failed'), ' Errors'),
    h(
      'ul',
      { class: 'error-list' },
      ...errors.map((e) =>
        h(
          'li',
          {},
          e.job ? h('a', { href: `#job-${e.job}` }, `${e.job}${e.stage ? `.${e.stage}` : ''}`) : null,
          e.job ? ': ' : '',
          h('span', { class: 'error-message' }, e.message),
          e.location ? h('span', { class: 'muted' }, ` (${e.location})`) : null,
        ),
      ),
    ),
  );
}

function renderJobs(el: HTMLElement, state: State, view: RunView): void {
  const ids = state.definition?.jobs.map((j) => j.id) ?? Object.keys(view.context?.jobs ?? {});
  replace(el, ...ids.map((id) => renderJob(state, view, id, view.context?.jobs[id])));
}

function renderJob(state: State, view: RunView, jobId: string, job: JobContext | undefined): HTMLElement {
  const look = jobLook(view, jobId);
  const section = h(
    'article',
    { class: `job st-${look}${state.selected === jobId ? ' selected' : ''}`, id: `job-${jobId}`, 'data-job': jobId, 'data-status': look },
    h(
      'header',
      {},
      badge(look),
      h('h3', {}, jobId),
      job?.start ? h('span', { class: 'muted' }, duration(job.start, job.end)) : null,
      job && view.uiUrl ? h('a', { href: view.uiUrl, target: '_blank', rel: 'noopener', class: 'ui-link' }, 'Temporal UI ↗') : null,
    ),
    job?.reason && look !== 'success' ? h('p', { class: 'muted' }, job.reason) : null,
  );
  if (job?.strategies) {
    section.append(
      h(
        'ul',
        { class: 'combinations' },
        ...job.strategies.map((c) => {
          const cl = lookOf(c.status);
          return h(
            'li',
            { 'data-combination': c.key },
            badge(cl),
            ' ',
            matrixLabel(c.matrix),
            combinationLink(c) ? h('a', { href: combinationLink(c)!, target: '_blank', rel: 'noopener', class: 'ui-link' }, ' Temporal UI ↗') : null,
            ...(c.errors ?? []).map((e) => h('div', { class: 'error-message' }, `${e.stage ? `${e.stage}: ` : ''}${e.message}${e.location ? ` (${e.location})` : ''}`)),
          );
        }),
      ),
    );
  }
  const stages = stagesOf(state.definition, jobId, job).filter(() => !job?.strategies);
  if (stages.length) {
    section.append(
      h(
        'table',
        { class: 'stages' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Stage'), h('th', {}, 'Status'), h('th', {}, 'Took'), h('th', {}, ''))),
        h('tbody', {}, ...stages.flatMap((st) => stageRows(state, view, jobId, st.id, st.name, st.stage))),
      ),
    );
  }
  return section;
}

/** Lines of a log tail (a trailing newline ends a line, it does not start one). */
function lineCount(text: string): number {
  return text.replace(/\n$/, '').split('\n').length;
}

function tail(stage: StageContext, stream: 'stdout' | 'stderr'): string {
  const text = stage.logs?.[stream] ?? stage.outputs[stream];
  return typeof text === 'string' ? text : '';
}

function stageRows(state: State, view: RunView, jobId: string, stageId: string, name: string, stage: StageContext | undefined): HTMLElement[] {
  const look = stageLook(view, jobId, stageId, stage);
  const link = stage ? stageLink(view, state.links, jobId, stage.name) : undefined;
  const rows = [
    h(
      'tr',
      { 'data-stage': `${jobId}.${stageId}`, 'data-status': look },
      h('td', {}, name),
      h('td', {}, badge(look), stage?.attempt && stage.attempt > 1 ? h('span', { class: 'muted' }, ` attempt ${stage.attempt}`) : null),
      h('td', {}, stage ? duration(stage.start, stage.end) : ''),
      h('td', {}, link ? h('a', { href: link, target: '_blank', rel: 'noopener', class: 'ui-link' }, 'Temporal UI ↗') : null),
    ),
  ];
  const extra: (HTMLElement | null)[] = [];
  if (stage?.error) extra.push(h('div', { class: 'error-message' }, `${stage.error.name}: ${stage.error.message}${stage.error.location ? ` (${stage.error.location})` : ''}`));
  else if (stage?.reason && look === 'skip') extra.push(h('div', { class: 'muted' }, stage.reason));
  for (const stream of ['stdout', 'stderr'] as const) {
    const text = stage ? tail(stage, stream) : '';
    if (!text) continue;
    const key = `${jobId}/${stageId}/${stream}`;
    const details = h(
      'details',
      { open: state.open.has(key) || (stream === 'stderr' && look === 'failed') },
      h('summary', {}, `${stream} (last ${lineCount(text)} line${lineCount(text) === 1 ? '' : 's'})`),
      h('pre', {}, text),
    );
    details.addEventListener('toggle', () => (details.open ? state.open.add(key) : state.open.delete(key)));
    extra.push(details);
  }
  if (extra.length) rows.push(h('tr', { class: 'stage-extra' }, h('td', { colspan: 4 }, ...extra)));
  return rows;
}
