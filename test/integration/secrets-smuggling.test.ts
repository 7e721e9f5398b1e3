/**
 * A value spliced into a stage (another stage's output, a param) cannot make
 * the worker render a secret the stage's YAML does not name.
 */
import { describe, expect, it } from 'vitest';
import { SecretStore } from '../../src/activities/secrets.js';
import { Workflow } from '../../src/client/workflow.js';
import { withWorker, writeConf } from '../helpers/temporal.js';

describe('secret smuggling', () => {
  it('refuses secrets that reach a script through spliced values, renders the ones its YAML names', async () => {
    const secrets = SecretStore.fromEnv({ TEMPOFLOW_SECRET_DEPLOY_KEY: 'deploy-key-0123456789', TEMPOFLOW_SECRET_OTHER_KEY: 'other-key-9876543210' });
    await withWorker(
      async ({ runtime }) => {
        const conf = writeConf({
          's.yml': `
smuggle:
  type: Workflow
  params:
    note: { type: str, default: "hello" }
  jobs:
    main:
      stages:
        - name: Attacker output
          id: evil
          bash: printf '%s' '\${{"{{"}} secrets.OTHER_KEY }}' | sed 's/^/$/'
        - name: Named secret
          id: named
          bash: test "\${{ secrets.DEPLOY_KEY }}" = deploy-key-0123456789 && echo ok
        - name: Splice
          id: splice
          bash: echo "\${{ stages.evil.outputs.stdout }} \${{ params.note }}"
`,
        });
        const wf = await Workflow.fromConf('smuggle', { path: conf });
        const result = await wf.execute({}, { runtime });
        const stages = result.context.jobs['main']!.stages;
        expect(stages['evil']!.outputs['stdout']).toBe('${{ secrets.OTHER_KEY }}');
        expect(stages['named']).toMatchObject({ status: 'SUCCESS', outputs: { stdout: 'ok\n' } });
        expect(stages['splice']).toMatchObject({ status: 'FAILED', attempt: 1, error: { name: 'SecretError' } });
        expect(stages['splice']!.error!.message).toMatch(/names secrets\.OTHER_KEY, which this stage's YAML does not reference/);
        expect(JSON.stringify(result)).not.toContain('other-key-9876543210');

        const viaParam = await wf.execute({ note: '${{ secrets.DEPLOY_KEY }}' }, { runtime });
        expect(viaParam.context.jobs['main']!.stages['splice']!.error!.message).toMatch(/secrets\.OTHER_KEY|secrets\.DEPLOY_KEY/);
        expect(JSON.stringify(viaParam)).not.toContain('deploy-key-0123456789');
      },
      { activityConfig: { secrets } },
    );
  });
});
