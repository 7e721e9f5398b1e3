/**
 * `uses:` stages on the real dev server: a registered TypeScript task is
 * called with validated `with:` (templates rendered), its returned object
 * becomes the outputs; an unknown task or an invalid `with` fails at once
 * and is never retried, even with `retry:`.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workflow } from '../../src/client/workflow.js';
import { withWorker, writeConf } from '../helpers/temporal.js';

const tasks = resolve(import.meta.dirname, '../fixtures/tasks/demo.ts');

describe('uses stages', () => {
  it('call registered tasks; bad tasks or arguments fail at once, never retried', async () => {
    await withWorker(
      async ({ runtime }) => {
        const conf = writeConf({
          'u.yml': `
uses-demo:
  type: Workflow
  params:
    a: { type: int, default: 2 }
    tag: { type: str, default: v1 }
  jobs:
    math:
      strategy:
        matrix: { b: [10, 20] }
      stages:
        - name: Add
          id: add
          uses: tasks/add@\${{ params.tag }}
          with:
            a: \${{ params.a }}
            b: \${{ matrix.b }}
        - name: Who
          id: who
          uses: tasks/whoami@v1
    report:
      needs: [math]
      stages:
        - name: Greet
          id: greet
          uses: tasks/greet@v1
          with: { who: "\${{ toJson(needs.math.outputs) }}" }
    unknown:
      stages:
        - name: Missing
          id: missing
          retry: 3
          uses: tasks/ad@v1
    invalid:
      stages:
        - name: Bad args
          id: bad
          retry: 3
          uses: tasks/add@v1
          with: { a: one, b: 2 }
`,
        });
        const result = await (await Workflow.fromConf('uses-demo', { path: conf })).execute({}, { runtime });
        expect(result.status).toBe('FAILED');
        const math = result.context.jobs['math']!;
        expect(math.status).toBe('SUCCESS');
        expect(math.strategies!.map((s) => s.outputs['sum'])).toEqual([12, 22]);
        expect(math.strategies![0]!.outputs).toMatchObject({ job: 'math', stage: 'who', attempt: 1, matrix: { b: 10 } });
        expect(result.context.jobs['report']!.outputs['message']).toMatch(/^hello \{\s*"sum": 22,/);
        const missing = result.context.jobs['unknown']!.stages['missing']!;
        expect(missing).toMatchObject({ status: 'FAILED', attempt: 1, error: { name: 'TaskNotFoundError' } });
        expect(missing.error!.message).toMatch(/did you mean 'tasks\/add@v1'|add/);
        const bad = result.context.jobs['invalid']!.stages['bad']!;
        expect(bad).toMatchObject({ status: 'FAILED', attempt: 1, error: { name: 'TaskInputError' } });
        expect(bad.error!.message).toMatch(/\ba\b/);
      },
      { taskModules: [tasks] },
    );
  });
});
