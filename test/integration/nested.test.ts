/**
 * Nested stages on the real dev server: parallel (max-workers), foreach
 * (concurrent, stop on failure), until (item, max-loop), case (match, else,
 * skip-not-match) and raise, with outputs and errors nested under branch,
 * item, loop and case keys.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Workflow } from '../../src/client/workflow.js';
import { withWorker, writeConf } from '../helpers/temporal.js';

describe('nested stages', () => {
  it('parallel runs branches, each with its own stages; a failing branch fails the stage', async () => {
    await withWorker(async ({ runtime }) => {
      const conf = writeConf({
        'p.yml': `
par:
  type: Workflow
  params:
    break_b: { type: bool, default: false }
  jobs:
    main:
      stages:
        - name: Fan
          id: fan
          max-workers: 2
          parallel:
            a:
              - name: One
                bash: echo "a-\${{ branch }}"
            b:
              - name: Two
                bash: |
                  echo b
                  test "$TF_PARAM_BREAK_B" = false
              - name: Three
                echo: after two
        - name: Next
          bash: echo next
`,
      });
      const wf = await Workflow.fromConf('par', { path: conf });
      const ok = await wf.execute({}, { runtime });
      expect(ok.status).toBe('SUCCESS');
      const fan = ok.context.jobs['main']!.stages['fan']!;
      expect(fan.status).toBe('SUCCESS');
      const branches = fan.outputs['parallel'] as Record<string, { status: string; stages: Record<string, { status: string; outputs: Record<string, unknown> }> }>;
      expect(Object.keys(branches).sort()).toEqual(['a', 'b']);
      expect(branches['a']!.status).toBe('SUCCESS');
      expect(branches['a']!.stages['one']!.outputs['stdout']).toBe('a-a\n');
      expect(branches['b']!.stages['three']!.status).toBe('SUCCESS');

      const bad = await wf.execute({ break_b: true }, { runtime });
      expect(bad.status).toBe('FAILED');
      const badFan = bad.context.jobs['main']!.stages['fan']!;
      expect(badFan).toMatchObject({ status: 'FAILED', error: { name: 'BranchFailed', stage: 'fan' } });
      expect(badFan.error!.message).toMatch(/branch b failed: bash exited with code 1/);
      const badBranches = badFan.outputs['parallel'] as Record<string, { status: string; stages: Record<string, { status: string }> }>;
      expect(badBranches['a']!.status).toBe('SUCCESS');
      expect(badBranches['b']!.status).toBe('FAILED');
      expect(badBranches['b']!.stages['three']!.status).toBe('SKIP');
      expect(bad.context.jobs['main']!.stages['next']!.status).toBe('SKIP');
    });
  });

  it('foreach runs per item (concurrently), and the first failure stops the items that remain', async () => {
    await withWorker(async ({ runtime, dir }) => {
      const ledger = join(dir, 'items.txt');
      const conf = writeConf({
        'f.yml': `
each:
  type: Workflow
  params:
    items: { type: array, default: [1, 2, 3, 4, 5] }
    concurrent: { type: int, default: 2 }
  jobs:
    main:
      stages:
        - name: Loop
          id: loop
          foreach: \${{ params.items }}
          concurrent: \${{ params.concurrent }}
          stages:
            - name: Work
              id: work
              bash: |
                echo "\${{ item }}" >> "${ledger}"
                test "\${{ item }}" != bad
                echo "done \${{ item }} (loop \${{ loop }})"
`,
      });
      const wf = await Workflow.fromConf('each', { path: conf });
      const ok = await wf.execute({}, { runtime });
      expect(ok.status).toBe('SUCCESS');
      const loop = ok.context.jobs['main']!.stages['loop']!;
      expect(loop.outputs['items']).toEqual([1, 2, 3, 4, 5]);
      const perItem = loop.outputs['foreach'] as Record<string, { item: unknown; status: string; stages: Record<string, { outputs: Record<string, unknown> }> }>;
      expect(Object.keys(perItem)).toEqual(['1', '2', '3', '4', '5']);
      expect(perItem['3']).toMatchObject({ item: 3, status: 'SUCCESS' });
      expect(perItem['3']!.stages['work']!.outputs['stdout']).toBe('done 3 (loop 3)\n');

      const bad = await wf.execute({ items: ['a', 'bad', 'c', 'd', 'e'], concurrent: 1 }, { runtime });
      expect(bad.status).toBe('FAILED');
      const badLoop = bad.context.jobs['main']!.stages['loop']!;
      expect(badLoop.error).toMatchObject({ name: 'ItemFailed' });
      const badItems = badLoop.outputs['foreach'] as Record<string, { status: string }>;
      expect(Object.fromEntries(Object.entries(badItems).map(([k, v]) => [k, v.status]))).toEqual({ a: 'SUCCESS', bad: 'FAILED', c: 'CANCEL', d: 'CANCEL', e: 'CANCEL' });
      expect(readFileSync(ledger, 'utf8').trim().split('\n').slice(-2)).toEqual(['a', 'bad']);
    });
  });

  it('until repeats with item and loop until the condition holds, within max-loop', async () => {
    await withWorker(async ({ runtime }) => {
      // The next item comes from the stage output named `item`.
      const conf2 = writeConf({
        'u.yml': `
till:
  type: Workflow
  params:
    target: { type: int, default: 3 }
    max: { type: int, default: 10 }
  jobs:
    main:
      stages:
        - name: Count up
          id: count
          item: 0
          until: \${{ item >= params.target }}
          max-loop: \${{ params.max }}
          stages:
            - name: Step
              id: step
              run: |
                item = current + 1
              vars:
                current: \${{ item }}
`,
      });
      const wf = await Workflow.fromConf('till', { path: conf2 });
      const ok = await wf.execute({}, { runtime });
      expect(ok.status).toBe('SUCCESS');
      const count = ok.context.jobs['main']!.stages['count']!;
      expect(count.outputs).toMatchObject({ loop: 3, item: 3 });
      const loops = count.outputs['until'] as Record<string, { item: unknown; loop: number; status: string }>;
      expect(Object.entries(loops).map(([k, v]) => [k, v.item, v.status])).toEqual([
        ['1', 0, 'SUCCESS'],
        ['2', 1, 'SUCCESS'],
        ['3', 2, 'SUCCESS'],
      ]);
      const capped = await wf.execute({ target: 100, max: 2 }, { runtime });
      expect(capped.status).toBe('FAILED');
      expect(capped.context.jobs['main']!.stages['count']!.error).toMatchObject({ name: 'LoopLimitError' });
    });
  });

  it('case runs the matching branch, else, or skips with skip-not-match; raise fails with its message', async () => {
    await withWorker(async ({ runtime }) => {
      const conf = writeConf({
        'c.yml': `
switch:
  type: Workflow
  params:
    env: { type: str, default: dev }
  jobs:
    main:
      stages:
        - name: Route
          id: route
          case: \${{ params.env }}
          match:
            - case: prod
              stages:
                - name: Prod
                  echo: production
            - case: dev
              stages:
                - name: Dev
                  bash: echo "dev for \${{ case }}"
            - else:
                - name: Unknown
                  raise: unknown environment \${{ params.env }}
        - name: Optional
          id: optional
          case: \${{ params.env }}
          skip-not-match: true
          match:
            - case: prod
              stages:
                - name: Only prod
                  echo: only prod
`,
      });
      const wf = await Workflow.fromConf('switch', { path: conf });
      const dev = await wf.execute({}, { runtime });
      expect(dev.status).toBe('SUCCESS');
      const route = dev.context.jobs['main']!.stages['route']!;
      expect(route.outputs).toMatchObject({ case: 'dev', matched: 'dev' });
      const branches = route.outputs['branches'] as Record<string, { stages: Record<string, { outputs: Record<string, unknown> }> }>;
      expect(branches['dev']!.stages['dev']!.outputs['stdout']).toBe('dev for dev\n');
      expect(dev.context.jobs['main']!.stages['optional']!.outputs).toMatchObject({ skipped: true, matched: null });

      const other = await wf.execute({ env: 'qa' }, { runtime });
      expect(other.status).toBe('FAILED');
      const failed = other.context.jobs['main']!.stages['route']!;
      expect(failed.outputs).toMatchObject({ matched: 'else' });
      expect(failed.error!.message).toMatch(/case else failed: unknown environment qa/);
      const elseBranch = (failed.outputs['branches'] as Record<string, { stages: Record<string, { error?: { name: string } }> }>)['else']!;
      expect(elseBranch.stages['unknown']!.error!.name).toBe('RaiseError');
    });
  });
});
