/**
 * The job graph: one node per job, an edge per `needs`, laid out left to right
 * by dagre (a maintained Sugiyama layout: ranks, crossing reduction,
 * coordinates) and drawn as SVG. Each node shows its job's status as a word,
 * an icon and a colour; a matrix job opens to its combinations; every job
 * and combination links to its object in the Temporal Web UI.
 */
import dagre from '@dagrejs/dagre';
import { s } from './dom.js';
import { icon, LOOKS, type Look } from './status.js';

/** One combination of a matrix job, as the graph shows it. */
export interface GraphCombination {
  readonly key: string;
  /** `region=us, shard=1`. */
  readonly label: string;
  readonly look: Look;
  /** Its child workflow in the Temporal Web UI. */
  readonly href?: string;
}

/** One job, as the graph shows it. */
export interface GraphJob {
  readonly id: string;
  readonly needs: readonly string[];
  readonly look: Look;
  /** Under the status word: a duration, `3 of 4 combinations`, ... */
  readonly detail?: string;
  /** The job's object in the Temporal Web UI (the run, or nothing before it runs). */
  readonly href?: string;
  /** A matrix job: its combinations once known (an empty list before the job starts). */
  readonly matrix?: { readonly combinations: readonly GraphCombination[]; readonly expanded: boolean };
}

export interface GraphEvents {
  /** A click on a job's node (not on its links). */
  readonly onSelect?: (jobId: string) => void;
  /** A click on a matrix job's "combinations" line. */
  readonly onToggle?: (jobId: string) => void;
  /** The selected job, outlined. */
  readonly selected?: string;
}

const WIDTH = 250;
const BASE_HEIGHT = 56;
const LINE = 22;
const MAX_ID = 24;
/** Characters of the status line that fit the node beside the icon. */
const MAX_STATUS = 30;

function nodeHeight(job: GraphJob): number {
  if (!job.matrix) return BASE_HEIGHT;
  return BASE_HEIGHT + LINE + (job.matrix.expanded ? job.matrix.combinations.length * LINE + 4 : 0);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** An edge's route through dagre's points, rounded into a smooth path. */
function edgePath(points: readonly { x: number; y: number }[]): string {
  const [first, ...rest] = points;
  if (!first) return '';
  let d = `M${first.x},${first.y}`;
  for (let i = 0; i < rest.length; i++) {
    const p = rest[i]!;
    const next = rest[i + 1];
    if (next) d += ` Q${p.x},${p.y} ${(p.x + next.x) / 2},${(p.y + next.y) / 2}`;
    else d += ` L${p.x},${p.y}`;
  }
  return d;
}

/** The graph as an `<svg>`, sized to its layout. */
export function drawGraph(jobs: readonly GraphJob[], events: GraphEvents = {}): SVGSVGElement {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 56, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(jobs.map((j) => j.id));
  for (const job of jobs) g.setNode(job.id, { width: WIDTH, height: nodeHeight(job) });
  for (const job of jobs) for (const need of job.needs) if (ids.has(need)) g.setEdge(need, job.id);
  dagre.layout(g);
  const size = g.graph();
  const width = Math.ceil(size.width ?? WIDTH);
  const height = Math.ceil(size.height ?? BASE_HEIGHT);

  const svg = s('svg', { class: 'graph', width, height, viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': 'job graph' });
  svg.append(
    s(
      'defs',
      {},
      s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0L10,5L0,10z', class: 'arrowhead' })),
    ),
  );
  for (const e of g.edges()) {
    const edge = g.edge(e);
    const to = jobs.find((j) => j.id === e.w);
    svg.append(s('path', { class: `edge${to && to.look !== 'pending' ? ' edge-reached' : ''}`, d: edgePath(edge.points ?? []), 'marker-end': 'url(#arrow)' }));
  }
  for (const job of jobs) svg.append(drawNode(job, g.node(job.id), events));
  return svg;
}

function drawNode(job: GraphJob, at: { x?: number; y?: number; width: number; height: number }, events: GraphEvents): SVGGElement {
  const x = (at.x ?? 0) - at.width / 2;
  const y = (at.y ?? 0) - at.height / 2;
  const look = LOOKS[job.look];
  const node = s(
    'g',
    {
      class: `node st-${job.look}${events.selected === job.id ? ' selected' : ''}`,
      transform: `translate(${x},${y})`,
      'data-job': job.id,
      'data-status': job.look,
      tabindex: 0,
      role: 'button',
      'aria-label': `job ${job.id}: ${look.label}${job.detail ? `, ${job.detail}` : ''}`,
      onclick: () => events.onSelect?.(job.id),
      onkeydown: (event: Event) => {
        if ((event as KeyboardEvent).key === 'Enter') events.onSelect?.(job.id);
      },
    },
    s('title', {}, `${job.id}: ${look.label}`),
    s('rect', { class: 'node-box', width: at.width, height: at.height, rx: 8 }),
    s('rect', { class: 'node-bar', width: 6, height: at.height, rx: 3 }),
  );
  const badge = icon(job.look, 18);
  badge.setAttribute('x', '16');
  badge.setAttribute('y', '10');
  node.append(
    badge,
    s('text', { class: 'node-id', x: 42, y: 24 }, clip(job.id, MAX_ID)),
    s('text', { class: 'node-status', x: 42, y: 43 }, clip(`${look.label}${job.detail ? ` · ${job.detail}` : ''}`, MAX_STATUS)),
  );
  if (job.href) {
    node.append(
      s(
        'a',
        { href: job.href, target: '_blank', rel: 'noopener', class: 'ui-link', 'aria-label': `${job.id} in the Temporal Web UI`, onclick: (e: Event) => e.stopPropagation() },
        s('title', {}, 'Open in the Temporal Web UI'),
        s('text', { x: at.width - 12, y: 22, 'text-anchor': 'end' }, '↗'),
      ),
    );
  }
  if (job.matrix) {
    const { combinations, expanded } = job.matrix;
    const done = combinations.filter((c) => c.look !== 'running' && c.look !== 'pending' && c.look !== 'approval').length;
    const label = combinations.length ? `${expanded ? '▾' : '▸'} matrix: ${done} of ${combinations.length} combinations done` : 'matrix: combinations not started';
    node.append(
      s(
        'text',
        {
          class: 'node-matrix',
          x: 16,
          y: BASE_HEIGHT + 14,
          'data-toggle': job.id,
          role: 'button',
          tabindex: 0,
          'aria-expanded': String(expanded),
          onclick: (e: Event) => {
            e.stopPropagation();
            if (combinations.length) events.onToggle?.(job.id);
          },
        },
        label,
      ),
    );
    if (expanded) {
      combinations.forEach((c, i) => {
        const rowY = BASE_HEIGHT + LINE + i * LINE;
        const row = s(
          'g',
          { class: `combination st-${c.look}`, transform: `translate(16,${rowY})`, 'data-combination': c.key, 'data-status': c.look },
          s('title', {}, `${c.label}: ${LOOKS[c.look].label}`),
        );
        const mark = icon(c.look, 14);
        mark.setAttribute('y', '3');
        row.append(mark, s('text', { x: 20, y: 14 }, clip(`${c.label} · ${LOOKS[c.look].label}`, 34)));
        node.append(c.href ? s('a', { href: c.href, target: '_blank', rel: 'noopener', onclick: (e: Event) => e.stopPropagation() }, row) : row);
      });
    }
  }
  return node;
}
