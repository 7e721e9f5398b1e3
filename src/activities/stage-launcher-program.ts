/**
 * The program of the stage launcher (`process.ts`), run as `node -e` by the
 * worker: a small process that starts stage processes for it. A `fork()` costs
 * time in proportion to the forking process's memory — about 4 ms from this
 * 50 MB process, 40 ms from a 370 MB worker (`npm run bench:spawn`) — so the
 * worker asks the launcher instead of spawning itself.
 *
 * Messages (Node IPC, advanced serialization):
 * - from the worker: `{ t: 'start', id, file, args, cwd, env }`;
 * - to the worker: `{ t: 'started', id, pid }`, `{ t: 'out', id, fd, data }`
 *   (fd 1 or 2), `{ t: 'end', id, code, signal }` once the process exited and
 *   its output is read, or `{ t: 'error', id, code, message }` when it could
 *   not start.
 *
 * Each process leads its own session and group. When it exits, whatever it
 * left in its group is killed; output pipes still held by a process that
 * left the group are given up after `DRAIN_MS`. When the worker goes away
 * (the IPC channel closes: the worker exited or was killed), every running
 * group is killed and the launcher exits; so it is on SIGTERM. Output is
 * sent with backpressure: past `MAX_IN_FLIGHT` bytes not yet written to the
 * worker, the processes' pipes are paused.
 *
 * It shows as `tempoflow-stage-launcher` in `ps`. It is a string, not a
 * module, so that the same text runs whether the worker runs from
 * TypeScript sources or from the build, with no loader.
 */
export const STAGE_LAUNCHER_PROGRAM = String.raw`
'use strict';
process.title = 'tempoflow-stage-launcher';
const { spawn } = require('node:child_process');
const DRAIN_MS = 2000;
const MAX_IN_FLIGHT = 4 * 1024 * 1024;
const running = new Map();
const paused = new Set();
let inFlight = 0;

function killGroup(pid, signal) {
  try { process.kill(-pid, signal); } catch { /* already gone */ }
}

function sendOutput(id, fd, stream, data) {
  inFlight += data.length;
  if (inFlight > MAX_IN_FLIGHT && !paused.has(stream)) { paused.add(stream); stream.pause(); }
  process.send({ t: 'out', id, fd, data }, () => {
    inFlight -= data.length;
    if (inFlight <= MAX_IN_FLIGHT / 2) { for (const s of paused) s.resume(); paused.clear(); }
  });
}

function start(m) {
  let child;
  try {
    child = spawn(m.file, m.args, { cwd: m.cwd, env: m.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  } catch (err) {
    process.send({ t: 'error', id: m.id, code: err.code, message: err.message });
    return;
  }
  child.on('error', (err) => {
    if (child.pid === undefined) process.send({ t: 'error', id: m.id, code: err.code, message: err.message });
  });
  const pid = child.pid;
  if (pid === undefined) return;
  running.set(m.id, pid);
  process.send({ t: 'started', id: m.id, pid });
  child.stdout.on('data', (data) => sendOutput(m.id, 1, child.stdout, data));
  child.stderr.on('data', (data) => sendOutput(m.id, 2, child.stderr, data));
  let exited;
  let drainTimer;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    killGroup(pid, 'SIGKILL');
    drainTimer = setTimeout(() => { child.stdout.destroy(); child.stderr.destroy(); }, DRAIN_MS);
  });
  child.on('close', (code, signal) => {
    clearTimeout(drainTimer);
    paused.delete(child.stdout);
    paused.delete(child.stderr);
    running.delete(m.id);
    const end = exited || { code, signal };
    process.send({ t: 'end', id: m.id, code: end.code, signal: end.signal });
  });
}

process.on('message', (m) => { if (m && m.t === 'start') start(m); });
function stopAll() {
  for (const pid of running.values()) killGroup(pid, 'SIGKILL');
  process.exit(0);
}
process.on('disconnect', stopAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, stopAll);
`;
