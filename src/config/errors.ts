/**
 * Positioned configuration problems.
 *
 * Validation never stops at the first problem: it collects `ConfigIssue`s and
 * throws one `ConfigError` holding all of them.
 */

/** One problem found in a workflow file. */
export interface ConfigIssue {
  /** Stable machine-readable code, e.g. `unknown-key`, `unknown-need`, `cycle`. */
  readonly code: string;
  /** `error` fails validation; `warning` is reported but does not. */
  readonly severity: 'error' | 'warning';
  /** What is wrong, and how to fix it. */
  readonly message: string;
  /** Dotted path inside the object, e.g. `jobs.build.needs[0]`. */
  readonly path: string;
  readonly file: string;
  /** 1-based line and column. */
  readonly line: number;
  readonly col: number;
  /** A suggested fix, e.g. `did you mean 'needs'?` */
  readonly hint?: string;
  /**
   * When the problem sits inside a reusable `type: Job`/`type: Stage` object,
   * the `file:line:col` of each `extends:` that pulled it in, innermost first
   * (the last one is in the workflow's own file).
   */
  readonly via?: readonly string[];
}

/** `file:line:col` of an issue. */
export function formatLocation(issue: Pick<ConfigIssue, 'file' | 'line' | 'col'>): string {
  return `${issue.file}:${issue.line}:${issue.col}`;
}

/**
 * One line per issue: `file:line:col: error [code] path: message (hint)`.
 * An issue inside an extended object names both places:
 * `(in conf/jobs/common.yml:4:7, extended by conf/workflows/x.yml:12:9)`.
 */
export function formatIssue(issue: ConfigIssue): string {
  const notes = [issue.hint, issue.via?.length ? `in ${formatLocation(issue)}, ${issue.via.map((v) => `extended by ${v}`).join(', ')}` : undefined].filter(Boolean);
  const hint = notes.length ? ` (${notes.join('; ')})` : '';
  const path = issue.path ? ` ${issue.path}:` : '';
  return `${formatLocation(issue)}: ${issue.severity} [${issue.code}]${path} ${issue.message}${hint}`;
}

/**
 * Thrown when a workflow file (or the conf tree) is invalid. `issues` holds
 * every problem found, errors first.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    const errors = issues.filter((i) => i.severity === 'error');
    const head = errors.length === 1 ? 'invalid workflow configuration' : `invalid workflow configuration (${errors.length} problems)`;
    super(`${head}:\n${errors.map((i) => `  ${formatIssue(i)}`).join('\n')}`, options);
    this.issues = issues;
  }
}

/**
 * Thrown by `Workflow.fromConf` when no workflow of that name exists. Like
 * Node's file errors it carries `code: 'ENOENT'`.
 */
export class WorkflowNotFoundError extends Error {
  override readonly name = 'WorkflowNotFoundError';
  readonly code = 'ENOENT';
  readonly workflowName: string;

  constructor(workflowName: string, message: string) {
    super(message);
    this.workflowName = workflowName;
  }
}
