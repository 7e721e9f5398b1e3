/** Search attribute registration against a fake operator service: registered, already there, refused. */
import { describe, expect, it } from 'vitest';
import { ensureSearchAttributes, runSearchAttributeValues, type OperatorConnection } from '../../../src/engine/search-attributes.js';

function fake(initial: Record<string, number>, add?: (attrs: Record<string, number>) => void): OperatorConnection & { added: Record<string, number>[] } {
  const custom = { ...initial };
  const added: Record<string, number>[] = [];
  return {
    added,
    operatorService: {
      listSearchAttributes: async () => ({ customAttributes: { ...custom } }),
      addSearchAttributes: async ({ searchAttributes }: { searchAttributes: Record<string, number> }) => {
        add?.(searchAttributes);
        added.push(searchAttributes);
        Object.assign(custom, searchAttributes);
        return {};
      },
    },
  } as unknown as OperatorConnection & { added: Record<string, number>[] };
}

describe('ensureSearchAttributes', () => {
  it('registers the missing ones with their types', async () => {
    const conn = fake({ TfWorkflow: 2 });
    const status = await ensureSearchAttributes(conn, 'default');
    expect(conn.added).toEqual([{ TfReleaseType: 2, TfReleaseTime: 6 }]);
    expect([...status.available].sort()).toEqual(['TfReleaseTime', 'TfReleaseType', 'TfWorkflow']);
    expect(status.problem).toBeUndefined();
  });

  it('does nothing when all exist', async () => {
    const conn = fake({ TfWorkflow: 2, TfReleaseType: 2, TfReleaseTime: 6 });
    expect((await ensureSearchAttributes(conn, 'default')).available.size).toBe(3);
    expect(conn.added).toEqual([]);
  });

  it('goes on without them when registration is refused, and says how to register', async () => {
    const conn = fake({}, () => {
      throw new Error('PermissionDenied: Request unauthorized.');
    });
    const status = await ensureSearchAttributes(conn, 'prod');
    expect(status.available.size).toBe(0);
    expect(status.problem).toMatch(/cannot register search attributes TfWorkflow, TfReleaseType, TfReleaseTime in namespace prod: PermissionDenied/);
    expect(status.problem).toMatch(/tempoflow setup.*temporal operator search-attribute create --namespace prod --name TfWorkflow --type Keyword/);
    expect(runSearchAttributeValues(status.available, { workflow: 'x', releaseType: 'NORMAL' })).toEqual([]);
  });

  it('reports an attribute registered with another type and does not set it', async () => {
    const conn = fake({ TfWorkflow: 1, TfReleaseType: 2, TfReleaseTime: 6 });
    const status = await ensureSearchAttributes(conn, 'default');
    expect(status.problem).toMatch(/TfWorkflow are not registered .* exist with another type/);
    expect(runSearchAttributeValues(status.available, { workflow: 'x', releaseType: 'NORMAL', releaseTime: '2024-01-01T00:00:00Z' }).map((v) => v.name)).toEqual(['TfReleaseType', 'TfReleaseTime']);
  });

  it('with register: false only lists', async () => {
    const conn = fake({});
    const status = await ensureSearchAttributes(conn, 'default', { register: false });
    expect(conn.added).toEqual([]);
    expect(status.problem).toMatch(/not registered/);
  });
});
