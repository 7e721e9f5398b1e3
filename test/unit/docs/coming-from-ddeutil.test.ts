/**
 * docs/coming-from-ddeutil.md maps every name of ddeutil-workflow's API (the
 * seed's imports, attributes, methods, arguments, ReleaseType values, Result
 * fields, errors, environment variables and YAML keys) and the tempoflow names
 * it points to exist: a name dropped from the guide, or a counterpart renamed
 * in the code, fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Result } from '../../../src/client/result.js';
import { Workflow } from '../../../src/client/workflow.js';
import * as tempoflow from '../../../src/index.js';

const guide = readFileSync(join(import.meta.dirname, '../../../docs/coming-from-ddeutil.md'), 'utf8');
/** The guide's code spans and code blocks: where a name counts as mapped. */
const code = [...guide.matchAll(/```[a-z]*\n([\s\S]*?)```|`([^`\n]+)`/g)].map((m) => m[1] ?? m[2] ?? '');
const escape = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const mentioned = (name: string) => code.some((span) => new RegExp(`(^|[^\\w-])${escape(name)}($|[^\\w-])`).test(span));

/** Every name of the seed's API reference, by where it appears there. */
const SEED = {
  imports: [
    'Workflow',
    'NORMAL',
    'RERUN',
    'EVENT',
    'FORCE',
    'ReleaseType',
    'Result',
    'WorkflowError',
    'ParamError',
    'WorkflowTimeoutError',
    'FileAudit',
    'FileNotFoundError',
    'ValueError',
    'list_available_workflows()',
  ],
  attributes: ['extras', 'name', 'desc', 'params', 'on', 'jobs', 'tags', 'created_at', 'updated_dt'],
  methods: ['from_conf', 'execute', 'release', 'rerun', 'execute_job', 'job', 'parameterize', 'validate_release'],
  arguments: ['path', 'run_id', 'parent_run_id', 'event', 'timeout', 'max_job_parallel', 'release_type', 'audit', 'override_log_name', 'result', 'excluded', 'context'],
  results: ['result.status', 'result.context', 'result.errors', 'error.name', 'error.message', 'e.param_name', 'e.validation_error'],
  env: ['WORKFLOW_CORE_CONF_PATH', 'WORKFLOW_CORE_TIMEOUT', 'WORKFLOW_CORE_MAX_JOB_PARALLEL', 'WORKFLOW_CORE_AUDIT_ENABLED'],
  yaml: [
    'type',
    'desc',
    'params',
    'description',
    'default',
    'on',
    'cron',
    'timezone',
    'manual',
    'jobs',
    'needs',
    'if',
    'strategy',
    'matrix',
    'max-parallel',
    'fail-fast',
    'runs-on',
    'stages',
    'name',
    'id',
    'bash',
    'run',
    'retry',
    'env',
    'created_at',
    'updated_dt',
  ],
} as const;

describe('docs/coming-from-ddeutil.md', () => {
  for (const [where, names] of Object.entries(SEED)) {
    it(`names every seed ${where} in code`, () => {
      expect(names.filter((name) => !mentioned(name))).toEqual([]);
    });
  }

  it('the tempoflow names it points to exist', () => {
    const exported = [
      'Workflow',
      'NORMAL',
      'RERUN',
      'EVENT',
      'FORCE',
      'DRYRUN',
      'ReleaseType',
      'Result',
      'ReleaseResult',
      'WorkflowError',
      'ParamError',
      'WorkflowTimeoutError',
      'WorkflowCancelledError',
      'WorkflowNotFoundError',
      'ConfigError',
      'FileAuditStore',
      'SqliteAuditStore',
      'openAuditReader',
      'getRun',
    ];
    expect(exported.filter((name) => !mentioned(name))).toEqual([]);
    expect(exported.filter((name) => !(name in tempoflow))).toEqual([]);
    const methods = ['execute', 'start', 'release', 'rerun', 'executeJob', 'job', 'parameterize', 'validateRelease'];
    expect([...methods, 'fromConf', 'list', 'unwrap'].filter((name) => !mentioned(name))).toEqual([]);
    expect(methods.filter((name) => typeof (Workflow.prototype as unknown as Record<string, unknown>)[name] !== 'function')).toEqual([]);
    expect([typeof Workflow.fromConf, typeof Workflow.list, typeof Result.prototype.unwrap]).toEqual(['function', 'function', 'function']);
  });

  it('says why release() has no result option', () => {
    expect(guide).toMatch(/### `release\(\.\.\., result=\)`\n\n[^#]*parentRunId: earlier\.runId/);
  });
});
