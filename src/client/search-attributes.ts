/**
 * Search attributes on the client side. The typed pairs a start passes are
 * built by `toTypedPairs` of the workflow contract (workflow code starts
 * children with them too). The names, types and registration live in `engine/search-attributes.ts`
 * (docs/operations.md "Search attributes"), re-exported here for the client
 * and the CLI.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export { toTypedPairs } from '../workflows/definitions.js';
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

/** Typed keys of the attributes, to read them from a description or a listing. */
export const SEARCH_ATTRIBUTE_KEYS = {
  workflow: defineSearchAttributeKey('TfWorkflow', SearchAttributeType.KEYWORD),
  releaseType: defineSearchAttributeKey('TfReleaseType', SearchAttributeType.KEYWORD),
  releaseTime: defineSearchAttributeKey('TfReleaseTime', SearchAttributeType.DATETIME),
} as const;
