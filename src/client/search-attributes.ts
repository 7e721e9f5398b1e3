/**
 * Search attributes on the client side: the typed pairs a start passes.
 * The names, types and registration live in `engine/search-attributes.ts`
 * (docs/operations.md "Search attributes"), re-exported here for the client
 * and the CLI.
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { SearchAttributeValue } from '../engine/search-attributes.js';

export {
  ensureSearchAttributes,
  registrationHint,
  runSearchAttributeValues,
  TEMPOFLOW_SEARCH_ATTRIBUTES,
  type OperatorConnection,
  type RunAttributeValues,
  type SearchAttributeStatus,
  type SearchAttributeValue,
  type TempoflowSearchAttribute,
} from '../engine/search-attributes.js';

/** Typed pairs for `workflow.start({ typedSearchAttributes })`. */
export function toTypedPairs(values: readonly SearchAttributeValue[]): SearchAttributePair[] {
  return values.map((v) =>
    v.type === 'DATETIME'
      ? { key: defineSearchAttributeKey(v.name, SearchAttributeType.DATETIME), value: new Date(v.value) }
      : { key: defineSearchAttributeKey(v.name, SearchAttributeType.KEYWORD), value: v.value },
  ) as SearchAttributePair[];
}
