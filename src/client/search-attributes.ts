/**
 * tempoflow's custom search attributes (SPEC §4 "Observability and
 * control"): `TfWorkflow` (Keyword), `TfReleaseType` (Keyword) and
 * `TfReleaseTime` (Datetime), set on every run so that
 * `tempoflow runs --workflow x` and the Web UI can filter with
 * `TfWorkflow = 'x'`.
 *
 * They are registered on every connect through the operator service (a
 * fresh or an existing SQLite file alike; "already exists" is fine). Where
 * that is impossible (no permission, Temporal Cloud), runs go on without
 * them: a start never passes an attribute the server does not know.
 */
import type { Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

/** The attributes and their types. */
export const TEMPOFLOW_SEARCH_ATTRIBUTES = {
  TfWorkflow: 'KEYWORD',
  TfReleaseType: 'KEYWORD',
  TfReleaseTime: 'DATETIME',
} as const;
export type TempoflowSearchAttribute = keyof typeof TEMPOFLOW_SEARCH_ATTRIBUTES;

/** Typed keys of the attributes, to read them from a description or a listing. */
export const SEARCH_ATTRIBUTE_KEYS = {
  workflow: defineSearchAttributeKey('TfWorkflow', SearchAttributeType.KEYWORD),
  releaseType: defineSearchAttributeKey('TfReleaseType', SearchAttributeType.KEYWORD),
  releaseTime: defineSearchAttributeKey('TfReleaseTime', SearchAttributeType.DATETIME),
} as const;

/** `temporal.api.enums.v1.IndexedValueType` values (stable protobuf enum numbers). */
type IndexedValueType = number;

const INDEXED: Record<'KEYWORD' | 'DATETIME', IndexedValueType> = {
  KEYWORD: 2, // INDEXED_VALUE_TYPE_KEYWORD
  DATETIME: 6, // INDEXED_VALUE_TYPE_DATETIME
};

/** What the server has: the attributes runs may carry, and why the others are missing. */
export interface SearchAttributeStatus {
  readonly available: ReadonlySet<TempoflowSearchAttribute>;
  /** Why some are missing (with how to register them), when any are. */
  readonly problem?: string;
}

/** The command that registers the attributes by hand. */
export function registrationHint(namespace: string): string {
  const args = Object.entries(TEMPOFLOW_SEARCH_ATTRIBUTES)
    .map(([name, type]) => `--name ${name} --type ${type === 'KEYWORD' ? 'Keyword' : 'Datetime'}`)
    .join(' ');
  return `run \`tempoflow setup\` with operator rights, or \`temporal operator search-attribute create --namespace ${namespace} ${args}\``;
}

/** The part of a connection used here (a client `Connection` or a worker's `NativeConnection`). */
export type OperatorConnection = Pick<Connection, 'operatorService'>;

async function listCustom(connection: OperatorConnection, namespace: string): Promise<Record<string, IndexedValueType>> {
  const res = await connection.operatorService.listSearchAttributes({ namespace });
  return (res.customAttributes ?? {}) as Record<string, IndexedValueType>;
}

function availableFrom(custom: Record<string, IndexedValueType>): Set<TempoflowSearchAttribute> {
  const out = new Set<TempoflowSearchAttribute>();
  for (const [name, type] of Object.entries(TEMPOFLOW_SEARCH_ATTRIBUTES) as [TempoflowSearchAttribute, 'KEYWORD' | 'DATETIME'][]) {
    if (custom[name] === INDEXED[type]) out.add(name);
  }
  return out;
}

/**
 * Registers the missing attributes (unless `register` is false) and returns
 * the ones the server has. Never throws: a failure is reported in `problem`.
 */
export async function ensureSearchAttributes(connection: OperatorConnection, namespace: string, options: { register?: boolean } = {}): Promise<SearchAttributeStatus> {
  let custom: Record<string, IndexedValueType>;
  try {
    custom = await listCustom(connection, namespace);
  } catch (err) {
    return { available: new Set(), problem: `cannot list search attributes of namespace ${namespace}: ${(err as Error).message}; ${registrationHint(namespace)}` };
  }
  const wrongType = Object.entries(TEMPOFLOW_SEARCH_ATTRIBUTES).filter(([name, type]) => custom[name] !== undefined && custom[name] !== INDEXED[type]);
  const missing = Object.entries(TEMPOFLOW_SEARCH_ATTRIBUTES).filter(([name]) => custom[name] === undefined);
  if (missing.length > 0 && options.register !== false) {
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED[type]])),
      });
    } catch (err) {
      // A concurrent registration ("already exists") is fine; anything else is reported below.
      if (!/already exists/i.test((err as Error).message)) {
        const available = availableFrom(await listCustom(connection, namespace).catch(() => custom));
        return { available, problem: `cannot register search attributes ${missing.map(([n]) => n).join(', ')} in namespace ${namespace}: ${(err as Error).message}; ${registrationHint(namespace)}` };
      }
    }
    custom = await listCustom(connection, namespace).catch(() => custom);
  }
  const available = availableFrom(custom);
  const absent = Object.keys(TEMPOFLOW_SEARCH_ATTRIBUTES).filter((n) => !available.has(n as TempoflowSearchAttribute));
  if (absent.length === 0) return { available };
  const typeNote = wrongType.length ? ` (${wrongType.map(([n]) => n).join(', ')} exist with another type)` : '';
  return { available, problem: `search attributes ${absent.join(', ')} are not registered in namespace ${namespace}${typeNote}; runs go on without them; ${registrationHint(namespace)}` };
}

/** Values of a run's attributes. */
export interface RunAttributeValues {
  readonly workflow: string;
  readonly releaseType?: string;
  /** ISO 8601. */
  readonly releaseTime?: string;
}

/** A serialisable description of the attributes to set (for workflow code, which builds the typed pairs). */
export interface SearchAttributeValue {
  readonly name: TempoflowSearchAttribute;
  readonly type: 'KEYWORD' | 'DATETIME';
  /** A keyword, or an ISO 8601 time for DATETIME. */
  readonly value: string;
}

/** The attributes of a run, limited to those the server has. */
export function runSearchAttributeValues(available: ReadonlySet<string>, values: RunAttributeValues): SearchAttributeValue[] {
  const out: SearchAttributeValue[] = [];
  const add = (name: TempoflowSearchAttribute, value: string | undefined) => {
    if (value !== undefined && available.has(name)) out.push({ name, type: TEMPOFLOW_SEARCH_ATTRIBUTES[name], value });
  };
  add('TfWorkflow', values.workflow);
  add('TfReleaseType', values.releaseType);
  add('TfReleaseTime', values.releaseTime);
  return out;
}

/** Typed pairs for `workflow.start({ typedSearchAttributes })`. */
export function toTypedPairs(values: readonly SearchAttributeValue[]): SearchAttributePair[] {
  return values.map((v) =>
    v.type === 'DATETIME'
      ? { key: defineSearchAttributeKey(v.name, SearchAttributeType.DATETIME), value: new Date(v.value) }
      : { key: defineSearchAttributeKey(v.name, SearchAttributeType.KEYWORD), value: v.value },
  ) as SearchAttributePair[];
}
