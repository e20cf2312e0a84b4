import type { CanaryFeed } from '../../harness/canary.js';
import type { Case } from './bad-input-case.js';
import {
  addDeepNesting,
  addInvalidJson,
  addInvalidUtf8,
  addOversized,
  addPrototypeKeys,
} from './body-cases.js';
import { CaseTable } from './case-table.js';
import { addDataFields, addEnvelope } from './envelope-cases.js';
import { addFuzz } from './fuzz-cases.js';
import {
  addApiKeys,
  addContentTypes,
  addControls,
  addMalformedHttp,
  addRoutes,
} from './request-cases.js';

/**
 * Every case of the bad-input scenario, group by group in the order of `GROUPS`: each case has a
 * fresh canary event from `feed` (so every body and accepted event id is distinct) and is sent
 * with `apiKey` unless it is about the key.
 */
export function badInputCases(feed: CanaryFeed, apiKey: string): Case[] {
  const table = new CaseTable(feed, apiKey);
  for (const addCases of [
    addControls,
    addApiKeys,
    addContentTypes,
    addInvalidJson,
    addInvalidUtf8,
    addDeepNesting,
    addPrototypeKeys,
    addOversized,
    addEnvelope,
    addDataFields,
    addRoutes,
    addMalformedHttp,
    addFuzz,
  ]) {
    addCases(table);
  }
  return table.cases;
}
