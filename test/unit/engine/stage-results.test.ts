/**
 * The walk over nested stage results, on the context of a real run: the
 * JSON blocks of docs/context.md (`tempoflow run nested-stages --json`).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StageContext } from '../../../src/engine/context.js';
import { nestedStageLists, runStageResults, stageResults } from '../../../src/engine/stage-results.js';

/** The `nested` job's stages, as docs/context.md shows them one at a time. */
function documentedStages(): Record<string, StageContext> {
  const doc = readFileSync(resolve(import.meta.dirname, '../../../docs/context.md'), 'utf8');
  const stages: Record<string, StageContext> = {};
  for (const [, block] of doc.matchAll(/```json\n([\s\S]*?)\n```/g)) Object.assign(stages, JSON.parse(block!));
  return stages;
}

describe('stageResults', () => {
  it('visits every stage of a real nested context, parents first, with the paths approve takes', () => {
    const stages = documentedStages();
    expect(Object.keys(stages)).toEqual(['build', 'deploy', 'poll', 'route', 'optional']);
    const visits = [...stageResults(stages)];
    expect(visits.map((v) => [v.path, v.depth, v.stage.status])).toEqual([
      ['build', 0, 'SUCCESS'],
      ['build.linux.compile', 1, 'SUCCESS'],
      ['build.docs.render', 1, 'SUCCESS'],
      ['deploy', 0, 'SUCCESS'],
      ['deploy.us.push', 1, 'SUCCESS'],
      ['deploy.eu.push', 1, 'SUCCESS'],
      ['poll', 0, 'SUCCESS'],
      ['poll.1.check', 1, 'SUCCESS'],
      ['poll.2.check', 1, 'SUCCESS'],
      ['route', 0, 'SUCCESS'],
      ['route.else.notify-channel', 1, 'SUCCESS'],
      ['optional', 0, 'FAILED'],
    ]);
    expect(visits.find((v) => v.path === 'deploy.eu.push')).toMatchObject({ id: 'push', stage: { outputs: { stdout: 'push eu (item 2)\n' } } });
  });

  it('goes as deep as the nesting, and applies a prefix', () => {
    const leaf: StageContext = { status: 'WAIT', name: 'Gate', outputs: { approval: { waiting: true, message: 'ok?' } } };
    const inner: StageContext = { status: 'WAIT', name: 'Each', outputs: { items: ['a'], foreach: { a: { item: 'a', loop: 1, status: 'WAIT', stages: { gate: leaf } } } } };
    const outer: StageContext = { status: 'WAIT', name: 'Par', outputs: { parallel: { left: { branch: 'left', status: 'WAIT', stages: { each: inner } } } } };
    expect([...stageResults({ par: outer }, 'job.')].map((v) => `${v.depth} ${v.path}`)).toEqual(['0 job.par', '1 job.par.left.each', '2 job.par.left.each.a.gate']);
  });

  it('does not take the value a case matched, items that never started, or look-alike user outputs for nests', () => {
    const route: StageContext = {
      status: 'SUCCESS',
      name: 'Route',
      // The matched value is an object that happens to hold `stages`: still not a nest.
      outputs: {
        case: { stages: { x: { status: 'SUCCESS', name: 'x', outputs: {} } } },
        matched: 'else',
        branches: { else: { status: 'SUCCESS', stages: { n: { status: 'SUCCESS', name: 'n', outputs: {} } } } },
      },
    };
    const each: StageContext = {
      status: 'FAILED',
      name: 'Each',
      outputs: { foreach: { a: { status: 'FAILED', stages: {} }, b: { status: 'CANCEL', reason: 'not started: an earlier item failed' } } },
    };
    const script: StageContext = { status: 'SUCCESS', name: 'Script', outputs: { parallel: 'yes', until: ['x'], foreach: { k: 'v' } } };
    expect(nestedStageLists(route).map((n) => n.key)).toEqual(['else']);
    expect(nestedStageLists(each).map((n) => n.key)).toEqual(['a']);
    expect(nestedStageLists(script)).toEqual([]);
    expect([...stageResults({ route, each, script })].map((v) => v.path)).toEqual(['route', 'route.else.n', 'each', 'script']);
  });
});

describe('runStageResults', () => {
  it('walks every job of a run, naming the job', () => {
    const stages = documentedStages();
    const context = {
      jobs: {
        first: { status: 'SUCCESS', outputs: {}, errors: [], stages: { a: { status: 'SUCCESS', name: 'a', outputs: {} } } },
        nested: { status: 'SUCCESS', outputs: {}, errors: [], stages: { build: stages.build! } },
      },
    } as const;
    expect([...runStageResults(context as never)].map((v) => `${v.job}/${v.path}`)).toEqual(['first/a', 'nested/build', 'nested/build.linux.compile', 'nested/build.docs.render']);
  });
});
