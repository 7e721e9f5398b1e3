/** The `webhook:` entry of `on:`: its shape, its place among the triggers, and the `event` namespace. */
import { describe, expect, it } from 'vitest';
import { loadConfTree, validateWorkflow } from '../../../src/config/loader.js';
import { writeConf } from '../../helpers/conf.js';

const workflow = (on: string, echo = 'hi') => `
wf:
  type: Workflow
  params:
    ref: str
    count: { type: int, default: 1 }
  on:
${on}
  jobs:
    a:
      stages:
        - echo: ${echo}
`;

function validate(text: string) {
  const { spec, issues } = validateWorkflow(loadConfTree(writeConf({ 'wf.yml': text })), 'wf');
  return { spec, issues: issues.map((i) => `${i.line}:${i.col} ${i.severity} ${i.code} ${i.path}`) };
}

describe('on: webhook', () => {
  it('normalizes the entry: auth defaults to hmac, params keep their templates, loc points at it', () => {
    const { spec, issues } = validate(
      workflow(`    - cron: '0 9 * * *'
    - webhook:
        secret: GH_HOOK
        params:
          ref: \${{ event.body.ref }}
          count: \${{ event.body.count }}`),
    );
    expect(issues).toEqual([]);
    expect(spec?.webhook).toEqual({ auth: 'hmac', secret: 'GH_HOOK', params: { ref: '${{ event.body.ref }}', count: '${{ event.body.count }}' }, loc: expect.stringMatching(/wf\.yml:9:7$/) });
    expect(spec?.schedules).toHaveLength(1);
  });

  it('takes the map form and the token auth', () => {
    const { spec, issues } = validate(workflow(`    webhook: { secret: deploy-token, auth: token }`));
    expect(issues).toEqual([]);
    expect(spec?.webhook).toMatchObject({ auth: 'token', secret: 'deploy-token', params: {} });
  });

  it('refuses a second webhook, a webhook mixed with cron, cron keys on it, and a secret value in place of a name', () => {
    const { issues } = validate(
      workflow(`    - webhook: { secret: A }
    - webhook: { secret: B }
    - cron: '0 9 * * *'
      webhook: { secret: C }
    - webhook: { secret: 'not a name!' }
      timezone: UTC
      params: { ref: x }`),
    );
    expect(issues).toEqual([
      '9:7 error duplicate-webhook on[1].webhook',
      '11:7 error two-triggers on[2].webhook',
      '12:7 error duplicate-webhook on[3].webhook',
      '12:26 error invalid-value on[3].webhook.secret',
      '13:7 error key-not-for-webhook on[3].timezone',
      '14:7 error key-not-for-webhook on[3].params',
    ]);
  });

  it('defines `event` only in the params of a webhook entry', () => {
    const { issues } = validate(
      workflow(
        `    - webhook: { secret: A, params: { ref: '\${{ event.body.ref }}-\${{ release.logical_date }}' } }
    - cron: '0 9 * * *'
      params: { ref: '\${{ event.body.ref }}' }`,
        '${{ event.body.x }}',
      ),
    );
    expect(issues).toEqual(['10:27 error namespace-not-here on[1].params.ref', '14:21 error namespace-not-here jobs.a.stages[0].echo']);
  });
});
