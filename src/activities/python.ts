/**
 * The `run` stage: Python 3 code in a subprocess.
 *
 * The activity (`pythonStage` in `index.ts`) runs `python3 -c PYTHON_RUNNER
 * <input.json>` under the process-group supervisor. The runner reads the
 * code and its variables from the input file (never spliced into code),
 * executes the code in a fresh globals dict, and writes what happened to the
 * file named by `TF_PYTHON_RESULT_FILE`, so the code's own stdout and stderr
 * stay the user's. This module holds the runner and the pure logic around
 * it; the activity owns files, processes and traces.
 */
import { constants } from 'node:os';
import type { ErrorInfo } from '../engine/context.js';
import { StageErrorName } from '../engine/stage-errors.js';
import type { ProcessOutcome } from './process.js';
import type { PythonStageInput, StageAttemptResult } from './types.js';

/** Environment variable naming the result file (removed from `os.environ` before the code runs). */
export const PYTHON_RESULT_ENV = 'TF_PYTHON_RESULT_FILE';

/**
 * The runner, run as `python3 -c PYTHON_RUNNER <input.json>` (a string, not a
 * `.py` asset, so the compiled package needs no copied files).
 *
 * The code is compiled with the filename `<file>` and prefixed with
 * `codeLine - 1` newlines, so every line number Python reports — in
 * tracebacks, `SyntaxError`s and `inspect` — is the line in the YAML file
 * (`codeLine + lineno - 1`). The padded source is registered in `linecache`,
 * so tracebacks show the source lines.
 */
export const PYTHON_RUNNER = String.raw`
import builtins, json, keyword, linecache, os, sys, traceback, types

_INJECTED = ('params', 'matrix', 'context', 'result')
_SKIP_TYPES = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType, type)


class StageResult:
    """The 'result' object of a run stage: set or fill result.outputs (a dict)."""
    __slots__ = ('_outputs',)

    def __init__(self):
        self._outputs = {}

    @property
    def outputs(self):
        return self._outputs

    @outputs.setter
    def outputs(self, value):
        if not isinstance(value, dict):
            raise TypeError('result.outputs must be a dict, not ' + type(value).__name__)
        self._outputs = value

    def __repr__(self):
        return 'result(outputs=%r)' % (self._outputs,)


def _dumps(value):
    return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(',', ':'))


def _size(text):
    return len(text.encode('utf-8', 'surrogatepass'))


def _encode(value):
    try:
        return _dumps(value)
    except Exception:  # TypeError, ValueError, RecursionError, or a broken __iter__/items() of the value
        return None


def _collect(g, res, cap, warnings):
    found = {}
    skipped = []
    for name, value in list(g.items()):
        if not isinstance(name, str) or name.startswith('_') or name in _INJECTED:
            continue
        if isinstance(value, _SKIP_TYPES):
            continue
        text = _encode(value)
        if text is None:
            skipped.append(name)
        else:
            found[name] = text
    explicit = res.outputs if isinstance(res.outputs, dict) else {}
    for name, value in list(explicit.items()):
        if not isinstance(name, str):
            warnings.append('result.outputs key %r is not a string; skipped' % (name,))
            continue
        text = _encode(value)
        if text is None:
            skipped.append('result.outputs[%r]' % (name,))
            found.pop(name, None)
        else:
            found.pop(name, None)  # result.outputs wins, and keeps its own order
            found[name] = text
    if skipped:
        more = ' and %d more' % (len(skipped) - 50) if len(skipped) > 50 else ''
        warnings.append('not JSON-serialisable, left out of the outputs: ' + ', '.join(skipped[:50]) + more)
    return _cap(found, cap, warnings)


def _cap(found, cap, warnings):
    """The rule of outputs.ts capOutputs: largest values first, then drop from the end."""
    entries = [[name, text, _size(_dumps(name)) + 1, _size(text)] for name, text in found.items()]
    total = 2 + sum(e[2] + e[3] for e in entries) + max(0, len(entries) - 1)
    before = total
    truncated = []
    dropped = []
    if total > cap:
        for e in sorted(entries, key=lambda e: -e[3]):
            if total <= cap:
                break
            marker = _dumps({'__truncated': True, 'bytes': e[3]})
            if _size(marker) >= e[3]:
                break
            total -= e[3] - _size(marker)
            e[1] = marker
            e[3] = _size(marker)
            truncated.append(e[0])
        while total > cap and entries:
            last = entries.pop()
            total -= last[2] + last[3] + (1 if entries else 0)
            dropped.append(last[0])
    if truncated or dropped:
        parts = []
        if truncated:
            parts.append('replaced by {"__truncated": true, "bytes": N}: ' + ', '.join(truncated))
        if dropped:
            parts.append('dropped: ' + ', '.join(dropped))
        warnings.append('outputs were %d bytes of JSON, over the %d-byte cap; %s' % (before, cap, '; '.join(parts)))
    return '{' + ','.join(_dumps(e[0]) + ':' + e[1] for e in entries) + '}'


def _user_line(tb, filename):
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _print_exception(e, filename):
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    try:
        traceback.print_exception(type(e), e, tb)
        sys.stderr.flush()
    except Exception:
        pass


def _write(path, report, outputs_json):
    body = '{"ok":%s,"outputs":%s,"error":%s,"warnings":%s}' % (
        'true' if report['ok'] else 'false',
        outputs_json,
        _dumps(report['error']) if report['error'] is not None else 'null',
        _dumps(report['warnings']),
    )
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8', errors='backslashreplace') as f:
        f.write(body)
    os.replace(tmp, path)


def _main():
    input_path = sys.argv[1]
    result_path = os.environ.pop('TF_PYTHON_RESULT_FILE')
    with open(input_path, 'r', encoding='utf-8') as f:
        spec = json.load(f)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors='backslashreplace', line_buffering=True)
        except Exception:
            pass
    file = spec['file']
    filename = '<' + file + '>'
    first = max(1, int(spec['codeLine']))
    cap = int(spec['maxOutputBytes'])
    sys.argv = [filename]
    report = {'ok': True, 'error': None, 'warnings': []}

    def fail(name, message, line):
        line = line if line is not None else first
        if len(message) > 4000:
            message = message[:4000] + '... [%d characters cut]' % (len(message) - 4000)
        report['ok'] = False
        report['error'] = {
            'name': name,
            'message': '%s (at %s:%d)' % (message, file, line),
            'location': '%s:%d:1' % (file, line),
            'line': line,
        }

    bad = [n for n in spec['vars'] if not n.isidentifier() or keyword.iskeyword(n) or n in _INJECTED]
    if bad:
        report['ok'] = False
        report['error'] = {
            'name': '${StageErrorName.PythonInputError}',
            'message': 'vars must be Python identifiers other than %s; not: %s' % (', '.join(_INJECTED), ', '.join(repr(n) for n in bad)),
            'input': True,
        }
        _write(result_path, report, '{}')
        return 1

    res = StageResult()
    g = {'__name__': '__main__', '__builtins__': builtins}
    g.update(spec['vars'])
    g.update(params=spec['params'], matrix=spec['matrix'], context=spec['context'], result=res)
    padded = '\n' * (first - 1) + spec['code']
    linecache.cache[filename] = (len(padded), None, padded.splitlines(True), filename)
    exit_code = 0
    try:
        compiled = compile(padded, filename, 'exec', dont_inherit=True)
        exec(compiled, g)
    except SystemExit as e:
        code = e.code
        if code is not None and code != 0:
            exit_code = code if isinstance(code, int) else 1
            if not isinstance(code, int):
                try:
                    print(code, file=sys.stderr)
                except Exception:
                    pass
            message = ('exit code %d' % code) if isinstance(code, int) else str(code)
            fail('SystemExit', message, _user_line(e.__traceback__, filename))
    except BaseException as e:
        exit_code = 1
        _print_exception(e, filename)
        if isinstance(e, SyntaxError) and e.filename == filename:
            line = e.lineno
            message = e.msg or type(e).__name__
        else:
            line = _user_line(e.__traceback__, filename)
            try:
                message = str(e)
            except Exception:
                message = ''
            message = message or type(e).__name__
        fail(type(e).__name__, message, line)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    outputs_json = _collect(g, res, cap, report['warnings'])
    _write(result_path, report, outputs_json)
    return exit_code


sys.exit(_main())
`;

/** What the runner reads from its input file. */
export interface PythonRunnerInput {
  readonly code: string;
  readonly file: string;
  readonly codeLine: number;
  readonly params: Readonly<Record<string, unknown>>;
  readonly matrix: Readonly<Record<string, unknown>>;
  readonly context: Readonly<Record<string, unknown>>;
  readonly vars: Readonly<Record<string, unknown>>;
  readonly maxOutputBytes: number;
}

/** What the runner writes to its result file. */
export interface PythonRunnerReport {
  readonly ok: boolean;
  readonly outputs: Record<string, unknown>;
  readonly error: (ErrorInfo & { readonly line?: number; readonly input?: boolean }) | null;
  readonly warnings: readonly string[];
}

/** The runner's input for a stage attempt. */
export function pythonRunnerInput(input: PythonStageInput, workspace: string, maxOutputBytes: number): PythonRunnerInput {
  return {
    code: input.code,
    file: input.file,
    codeLine: input.codeLine,
    params: input.params,
    matrix: input.matrix ?? {},
    context: {
      ...input.context,
      attempt: input.attempt,
      run_id: input.runId,
      workflow: input.workflowName,
      job: input.jobId,
      stage: input.stageId,
      workspace,
    },
    vars: input.vars,
    maxOutputBytes,
  };
}

/** The interpreter: `WORKFLOW_CORE_PYTHON` or `python3`. */
export function pythonExecutable(env: NodeJS.ProcessEnv): string {
  return env.WORKFLOW_CORE_PYTHON?.trim() || 'python3';
}

/** Parses the runner's result file; `undefined` when it is missing or not the runner's. */
export function parseRunnerReport(text: string | undefined): PythonRunnerReport | undefined {
  if (text === undefined) return undefined;
  try {
    const report = JSON.parse(text) as PythonRunnerReport;
    if (typeof report !== 'object' || report === null || typeof report.ok !== 'boolean') return undefined;
    if (typeof report.outputs !== 'object' || report.outputs === null || Array.isArray(report.outputs)) return undefined;
    return { ok: report.ok, outputs: report.outputs, error: report.error ?? null, warnings: Array.isArray(report.warnings) ? report.warnings : [] };
  } catch {
    return undefined;
  }
}

/** `SIGKILL` for 9, or `signal 99`. */
function signalName(n: number): string {
  const found = Object.entries(constants.signals).find(([, v]) => v === n);
  return found ? found[0] : `signal ${n}`;
}

/** The last `max` characters of a tail, on a line boundary when possible. */
function lastChars(text: string, max: number): string {
  const trimmed = text.trimEnd();
  if (trimmed.length <= max) return trimmed;
  const cut = trimmed.slice(trimmed.length - max);
  const nl = cut.indexOf('\n');
  return `…${nl >= 0 && nl < max / 2 ? cut.slice(nl) : cut}`;
}

/**
 * The tails appended to a failure's message (after its first line), so a
 * failed `run` stage shows its traceback and last output wherever the
 * error is read. The stage outputs stay the user's names only.
 */
export function failureTails(outcome: Pick<ProcessOutcome, 'stdout' | 'stderr'>): string {
  let text = '';
  if (outcome.stdout.trim()) text += `\n--- stdout (tail) ---\n${lastChars(outcome.stdout, 1000)}`;
  if (outcome.stderr.trim()) text += `\n--- stderr (tail) ---\n${lastChars(outcome.stderr, 2000)}`;
  return text;
}

/**
 * The attempt's result from the process outcome and the runner's report
 * (cancellation and timeout are handled by the caller first).
 */
export function pythonAttemptResult(input: PythonStageInput, outcome: ProcessOutcome, report: PythonRunnerReport | undefined, python: string): StageAttemptResult {
  const where = { job: input.jobId, stage: input.stageId };
  if (report) {
    if (report.ok) return { ok: true, outputs: report.outputs };
    const e = report.error;
    if (e?.input) {
      return { ok: false, nonRetryable: true, outputs: {}, error: { name: e.name, message: `${e.message} (${input.location})`, location: input.location, ...where } };
    }
    return {
      ok: false,
      outputs: report.outputs,
      error: {
        name: e?.name ?? StageErrorName.PythonError,
        message: `${e?.message ?? 'the Python code failed'}${failureTails(outcome)}`,
        location: e?.location ?? input.location,
        ...where,
      },
    };
  }
  // No report: the interpreter never started, died, or left through os._exit.
  const code = outcome.exitCode;
  if (code === 0) return { ok: true, outputs: {} };
  let what: string;
  if (outcome.signal) what = `the Python interpreter was killed by ${outcome.signal}${code !== null ? ` (exit ${code})` : ''}`;
  else if (code !== null && code > 128) what = `the Python interpreter was killed by ${signalName(code - 128)} (exit ${code})`;
  else if (code === 127 || code === 126) what = `cannot run the Python interpreter '${python}' (exit ${code}); install Python 3 or set WORKFLOW_CORE_PYTHON`;
  else what = `the Python interpreter exited with code ${code} without reporting a result`;
  return {
    ok: false,
    outputs: {},
    error: { name: StageErrorName.PythonProcessError, message: `${what} (${input.location})${failureTails(outcome)}`, location: input.location, ...where },
  };
}
