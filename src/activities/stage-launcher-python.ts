/**
 * The stage launcher in Python (`process.ts` picks it when the worker has
 * Python 3.9 or newer on Linux, else the Node one of
 * `stage-launcher-program.ts`): the same job, the same rules, but Python
 * starts a process with `vfork()`, which does not copy the launcher's page
 * tables — about 0.7 ms less per stage process than Node's `fork()`
 * (`npm run bench:spawn`).
 *
 * Frames on the launcher's stdin and stdout: a 4-byte big-endian length, a
 * JSON header of that length, and for `out` the `n` raw output bytes after it.
 * - from the worker: `{ t: 'start', id, file, args, cwd, env }`;
 * - to the worker: `{ t: 'started', id, pid }`, `{ t: 'out', id, fd, n }`
 *   (fd 1 or 2), `{ t: 'end', id, code, signal }` once the process exited and
 *   its output is read, or `{ t: 'error', id, code, message }` when it could
 *   not start.
 *
 * Each process leads its own session and group. When it exits (seen through
 * a pidfd), whatever it left in its group is killed; output pipes still held
 * by a process that left the group are given up after `DRAIN_S`. When the
 * worker goes away (stdin closes), every running group is killed and the
 * launcher exits; so it is on SIGTERM, SIGINT and SIGHUP. Writing a frame
 * blocks while the worker has not read the previous ones: that is the
 * backpressure on the processes' pipes.
 *
 * It runs as `python3 -c <program> tempoflow-stage-launcher`, so `ps` names it.
 */
export const STAGE_LAUNCHER_PYTHON = String.raw`
import errno, json, os, selectors, signal, struct, subprocess, sys, time
DRAIN_S = 2.0
sel = selectors.DefaultSelector()
running = {}
inbox = b''

def write_all(data):
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]

def send(header, data=b''):
    h = json.dumps(header, separators=(',', ':')).encode()
    write_all(struct.pack('>I', len(h)) + h + data)

def kill_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except OSError:
        pass

def stop_all(*_):
    for st in running.values():
        kill_group(st['p'].pid, signal.SIGKILL)
    os._exit(0)

for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, stop_all)

def start(m):
    try:
        p = subprocess.Popen([m['file']] + m['args'], cwd=m['cwd'], env=m['env'], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, close_fds=True)
    except OSError as e:
        send({'t': 'error', 'id': m['id'], 'code': errno.errorcode.get(e.errno or 0), 'message': str(e)})
        return
    send({'t': 'started', 'id': m['id'], 'pid': p.pid})
    st = {'id': m['id'], 'p': p, 'pipes': 2, 'exited': None, 'drain': None}
    running[m['id']] = st
    for fd, stream in ((1, p.stdout), (2, p.stderr)):
        os.set_blocking(stream.fileno(), False)
        sel.register(stream, selectors.EVENT_READ, ('out', st, fd))
    st['pidfd'] = os.pidfd_open(p.pid)
    sel.register(st['pidfd'], selectors.EVENT_READ, ('exit', st, 0))

def finish_if_done(st):
    if st['pipes'] > 0 or st['exited'] is None:
        return
    rc = st['exited']
    del running[st['id']]
    signame = None
    if rc < 0:
        try:
            signame = signal.Signals(-rc).name
        except ValueError:
            pass
    # A signal without a name (a real-time one) reads as the shell's 128 + n.
    code = rc if rc >= 0 else (None if signame else 128 - rc)
    send({'t': 'end', 'id': st['id'], 'code': code, 'signal': signame})

def close_pipe(stream, st):
    sel.unregister(stream)
    stream.close()
    st['pipes'] -= 1

def on_exit(st):
    sel.unregister(st['pidfd'])
    os.close(st['pidfd'])
    st['exited'] = st['p'].wait()
    kill_group(st['p'].pid, signal.SIGKILL)
    st['drain'] = time.monotonic() + DRAIN_S
    finish_if_done(st)

def on_output(stream, st, fd):
    try:
        data = os.read(stream.fileno(), 65536)
    except BlockingIOError:
        return
    if data:
        send({'t': 'out', 'id': st['id'], 'fd': fd, 'n': len(data)}, data)
        return
    close_pipe(stream, st)
    finish_if_done(st)

def on_request():
    global inbox
    data = os.read(0, 1 << 20)
    if not data:
        stop_all()
    inbox += data
    while len(inbox) >= 4:
        n = struct.unpack('>I', inbox[:4])[0]
        if len(inbox) < 4 + n:
            break
        m = json.loads(inbox[4:4 + n])
        inbox = inbox[4 + n:]
        if m.get('t') == 'start':
            start(m)

sel.register(0, selectors.EVENT_READ, ('in', None, 0))
while True:
    draining = [st for st in running.values() if st['drain'] is not None]
    timeout = max(0.0, min(st['drain'] for st in draining) - time.monotonic()) if draining else None
    for key, _ in sel.select(timeout):
        kind, st, fd = key.data
        if kind == 'in':
            on_request()
        elif kind == 'exit':
            on_exit(st)
        elif st['id'] in running and not key.fileobj.closed:
            on_output(key.fileobj, st, fd)
    now = time.monotonic()
    for st in [st for st in running.values() if st['drain'] is not None and st['drain'] <= now]:
        for stream in (st['p'].stdout, st['p'].stderr):
            if not stream.closed:
                close_pipe(stream, st)
        finish_if_done(st)
`;
