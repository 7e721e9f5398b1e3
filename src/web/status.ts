/**
 * How a status looks: a word, an icon and a colour, always all three, so a
 * status never rests on colour alone. Icons are drawn as SVG paths (no icon
 * font, no emoji), so they look the same on every machine.
 */
import { s } from './dom.js';

/** What the page shows: tempoflow's statuses, plus states of jobs that have not ended. */
export type Look = 'success' | 'failed' | 'skip' | 'running' | 'approval' | 'cancel' | 'timeout' | 'pending';

interface LookSpec {
  readonly label: string;
  /** Path data in a 16×16 box, stroked. */
  readonly path: string;
}

export const LOOKS: Readonly<Record<Look, LookSpec>> = {
  success: { label: 'Success', path: 'M3.5 8.5l3 3 6-7' },
  failed: { label: 'Failed', path: 'M4.5 4.5l7 7M11.5 4.5l-7 7' },
  skip: { label: 'Skipped', path: 'M4 4l5 4-5 4M12 4v8' },
  running: { label: 'Running', path: 'M8 2.5a5.5 5.5 0 1 1-5.5 5.5' },
  approval: { label: 'Waiting for approval', path: 'M8 2.5a5.5 5.5 0 1 1 0 11a5.5 5.5 0 1 1 0-11M8 5v3.5M8 10.8v.4' },
  cancel: { label: 'Cancelled', path: 'M8 2.5a5.5 5.5 0 1 1 0 11a5.5 5.5 0 1 1 0-11M4.2 11.8l7.6-7.6' },
  timeout: { label: 'Timed out', path: 'M8 2.5a5.5 5.5 0 1 1 0 11a5.5 5.5 0 1 1 0-11M8 5v3l2.2 1.6' },
  pending: { label: 'Not started', path: 'M8 2.5a5.5 5.5 0 1 1 0 11a5.5 5.5 0 1 1 0-11' },
};

/** The look of a tempoflow status (`SUCCESS`, `FAILED`, ...); WAIT is running. */
export function lookOf(status: string | undefined): Look {
  switch (status) {
    case 'SUCCESS':
    case 'COMPLETED':
      return 'success';
    case 'FAILED':
    case 'TERMINATED':
      return 'failed';
    case 'SKIP':
      return 'skip';
    case 'WAIT':
    case 'RUNNING':
      return 'running';
    case 'CANCEL':
    case 'CANCELED':
    case 'CANCELLED':
      return 'cancel';
    case 'TIMEOUT':
    case 'TIMED_OUT':
      return 'timeout';
    default:
      return 'pending';
  }
}

/** The icon of a look, as an `<svg>` of `size` pixels. */
export function icon(look: Look, size = 16): SVGSVGElement {
  return s(
    'svg',
    { class: `icon st-${look}${look === 'running' ? ' spin' : ''}`, width: size, height: size, viewBox: '0 0 16 16', 'aria-hidden': 'true', focusable: 'false' },
    s('path', { d: LOOKS[look].path }),
  );
}
