/**
 * The Temporal server's Prometheus counters that bench/server-requests reads:
 * parsed from the metrics text and turned into a per-run difference. Pure
 * code, no I/O (tested in test/unit/bench/server-counters.test.ts).
 */

/** Counter totals by `metric operation`, summed over the label sets (services, namespaces) that a run does not choose. */
export type Counters = Map<string, number>;

/** The counters a run's requests of the server show in. */
const COUNTER = /^(persistence_requests|visibility_persistence_requests|task_requests)\{(.*)\} ([\d.e+]+)$/;

/** The persistence, visibility and task counters of a Prometheus metrics text, keyed `metric operation`. */
export function parseCounters(text: string): Counters {
  const counters: Counters = new Map();
  for (const line of text.split('\n')) {
    const m = COUNTER.exec(line);
    if (!m) continue;
    const operation = /(?:^|,)operation="([^"]*)"/.exec(m[2]!)?.[1] ?? '?';
    const key = `${m[1]} ${operation}`;
    counters.set(key, (counters.get(key) ?? 0) + Number(m[3]));
  }
  return counters;
}

/** `after − before`, divided by `runs`; counters that did not move are left out. */
export function perRun(before: Counters, after: Counters, runs: number): Counters {
  const out: Counters = new Map();
  for (const [key, value] of after) {
    const delta = value - (before.get(key) ?? 0);
    if (delta) out.set(key, delta / runs);
  }
  return out;
}
