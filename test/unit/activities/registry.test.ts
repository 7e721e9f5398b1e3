import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { defineTask, isTaskDefinition, parseUses, TaskDefinitionError, TaskModuleError, TaskRegistry, taskModulesFromEnv } from '../../../src/activities/registry.js';
import { loadTaskRegistry } from '../../../src/worker/index.js';

const fixtures = join(import.meta.dirname, '../../fixtures/tasks');
const task = (name: string, tag = 'v1') => defineTask({ name, tag, with: z.object({}), run: () => ({}) });

describe('defineTask', () => {
  it('brands and freezes the definition, keeping its fields', () => {
    const def = task('load-data');
    expect(isTaskDefinition(def)).toBe(true);
    expect(Object.isFrozen(def)).toBe(true);
    expect(def).toMatchObject({ name: 'load-data', tag: 'v1' });
    expect(Object.keys(def)).toEqual(['name', 'tag', 'with', 'run']);
    expect(isTaskDefinition({ name: 'x', tag: 'v1', with: z.object({}), run: () => ({}) })).toBe(false);
    expect(isTaskDefinition(null)).toBe(false);
  });

  it('refuses bad names, tags, schemas and run functions', () => {
    expect(() => task('has space')).toThrow(TaskDefinitionError);
    expect(() => task('a/b')).toThrow(/name must match/);
    expect(() => task('ok', '')).toThrow(/tag must match/);
    expect(() => task('ok', 'v@1')).toThrow(/tag must match/);
    expect(() => defineTask({ name: 'ok', tag: 'v1', with: {} as z.ZodType, run: () => ({}) })).toThrow(/'with' must be a zod schema/);
    expect(() => defineTask({ name: 'ok', tag: 'v1', with: z.object({}), run: 'no' as never })).toThrow(/'run' must be a function/);
  });
});

describe('parseUses', () => {
  it.each([
    ['tasks/load@v1', { name: 'load', tag: 'v1' }],
    ['tasks/load.csv@1.2.0+build', { name: 'load.csv', tag: '1.2.0+build' }],
  ])('parses %s', (uses, parsed) => expect(parseUses(uses)).toEqual(parsed));

  it.each([
    ['load@v1', /is not a task reference; write tasks\/<name>@<tag>/],
    ['tasks/load', /has no tag/],
    ['tasks/@v1', /task name '' must match/],
    ['tasks/load@', /tag '' must match/],
    ['tasks/lo ad@v1', /task name 'lo ad' must match/],
  ])('refuses %s', (uses, message) => {
    const parsed = parseUses(uses);
    expect('error' in parsed && parsed.error).toMatch(message);
  });
});

describe('TaskRegistry', () => {
  it('resolves exact name@tag only', () => {
    const reg = new TaskRegistry().register(task('load', 'v1')).register(task('load', 'v2'));
    expect(reg.resolve('tasks/load@v2')).toMatchObject({ name: 'load', tag: 'v2' });
    expect(reg.resolve('tasks/load@latest')).toEqual({ error: "unknown task 'tasks/load@latest': 'load' has tags v1, v2 (tags match exactly)" });
  });

  it('suggests the closest task for a typo, and lists the registered ones', () => {
    const reg = new TaskRegistry().register(task('load-data')).register(task('send-email'));
    const r = reg.resolve('tasks/lod-data@v1');
    expect('error' in r && r.error).toBe("unknown task 'tasks/lod-data@v1'; did you mean 'tasks/load-data@v1'? (registered: tasks/load-data@v1, tasks/send-email@v1)");
    const far = reg.resolve('tasks/zzz@v1');
    expect('error' in far && far.error).toBe("unknown task 'tasks/zzz@v1' (registered: tasks/load-data@v1, tasks/send-email@v1)");
  });

  it('says how to register tasks when there are none', () => {
    const r = new TaskRegistry().resolve('tasks/x@v1');
    expect('error' in r && r.error).toMatch(/no tasks are registered on this worker \(name task modules in WORKFLOW_CORE_REGISTRY_CALLER/);
  });

  it('passes malformed references through as errors', () => {
    const r = new TaskRegistry().register(task('x')).resolve('x@v1');
    expect('error' in r && r.error).toMatch(/not a task reference/);
  });

  it('refuses a second definition under a taken name@tag, not the same one twice', () => {
    const def = task('x');
    const reg = new TaskRegistry().register(def).register(def);
    expect(reg.list()).toHaveLength(1);
    expect(() => reg.register(task('x'))).toThrow(/task tasks\/x@v1 is registered twice/);
  });

  it('loads every task a module exports: named, arrays and the default export, once each', async () => {
    const reg = await TaskRegistry.load(['./demo.ts'], { cwd: fixtures });
    expect(reg.list().map((t) => `${t.name}@${t.tag}`)).toEqual(['add@v1', 'add@v2', 'greet@v1', 'noop@1.0.0', 'whoami@v1']);
    expect(reg.resolve('tasks/add@v1')).toMatchObject({ description: 'adds a and b' });
  });

  it('loads a module whose default export is a single task', async () => {
    const reg = await TaskRegistry.load(['./single.ts'], { cwd: fixtures });
    expect(reg.list().map((t) => t.name)).toEqual(['single']);
  });

  it('loads absolute paths and file URLs too', async () => {
    const abs = await TaskRegistry.load([join(fixtures, 'demo.ts')]);
    expect(abs.list()).toHaveLength(5);
    const url = await TaskRegistry.load([pathToFileURL(join(fixtures, 'demo.ts')).href], { cwd: '/' });
    expect(url.list()).toHaveLength(5);
  });

  it('fails to load a missing module or one without tasks, naming it', async () => {
    await expect(TaskRegistry.load(['./missing.ts'], { cwd: fixtures })).rejects.toThrow(TaskModuleError);
    await expect(TaskRegistry.load(['./missing.ts'], { cwd: fixtures })).rejects.toThrow(/cannot load task module '.\/missing.ts'/);
    await expect(TaskRegistry.load(['./empty.ts'], { cwd: fixtures })).rejects.toThrow(/task module '.\/empty.ts' exports no task/);
    await expect(TaskRegistry.load(['no-such-package-tempoflow-test'])).rejects.toThrow(/cannot load task module 'no-such-package-tempoflow-test'/);
  });

  it('fails when two modules define the same name@tag', async () => {
    await expect(TaskRegistry.load(['./demo.ts', join(fixtures, 'dup.ts')], { cwd: fixtures })).rejects.toThrow(/dup.ts': task tasks\/add@v1 is registered twice/);
  });
});

describe('worker task modules', () => {
  it('reads WORKFLOW_CORE_REGISTRY_CALLER as a comma-separated list', () => {
    expect(taskModulesFromEnv({ WORKFLOW_CORE_REGISTRY_CALLER: ' ./a.ts, pkg ,,@org/tasks ' })).toEqual(['./a.ts', 'pkg', '@org/tasks']);
    expect(taskModulesFromEnv({})).toEqual([]);
  });

  it('adds the modules tasks to the configured registry', async () => {
    const base = new TaskRegistry().register(task('own'));
    const reg = await loadTaskRegistry([join(fixtures, 'demo.ts')], base);
    expect(reg.list().map((t) => t.name)).toContain('own');
    expect(reg.list()).toHaveLength(6);
    expect(await loadTaskRegistry([], base)).toBe(base);
  });
});
