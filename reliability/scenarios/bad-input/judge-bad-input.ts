import type { TopicMessage } from '@novamed-stream/testkit';
import type { RawResponse } from '../../harness/hostile-http.js';
import type { TopicCopies } from '../../harness/topic-copies.js';
import {
  type Case,
  GROUPS,
  type Group,
  headerForm,
  QUARANTINED,
  sha,
  text,
} from './bad-input-case.js';

/** What the answers show: distinct cases, wrong answers per group, 5xx. */
export interface AnswerVerdict {
  distinct: number;
  /** Wrong answers (status or code) per group. */
  wrong: Map<Group, string[]>;
  casesPerGroup: Map<Group, number>;
  earlyRefusalResets: number;
  fiveHundreds: string[];
}

/** What the events topic shows against the cases that were to be accepted. */
export interface EventsTopicVerdict {
  leaks: number;
  missing: number;
  topicRecords: number;
  expectedRecords: number;
}

/** What the quarantine topic shows against the authenticated 400 bodies. */
export interface QuarantineVerdict {
  quarantined: number;
  expectedQuarantined: number;
  unexpectedQuarantine: number;
  wrongReason: number;
  missingQuarantine: number;
  unauthInQuarantine: number;
  collisions: number;
}

/** Each case's answer (`answers[i]` for `cases[i]`) against the status and code it requires. */
export function judgeAnswers(
  cases: readonly Case[],
  answers: readonly RawResponse[],
): AnswerVerdict {
  const signature = (c: Case) =>
    sha(
      Buffer.concat([
        text(
          `${c.request.method ?? 'POST'} ${c.request.path} ${c.request.chunked ? 'chunked' : ''}\n`,
        ),
        ...c.request.headers.map(([n, v]) =>
          Buffer.concat([text(`${n}:`), Buffer.from(v), text('\n')]),
        ),
        c.request.body ?? Buffer.alloc(0),
      ]),
    );
  const distinct = new Set(cases.map(signature)).size;
  const wrong = new Map<Group, string[]>(GROUPS.map((g) => [g, []]));
  const casesPerGroup = new Map<Group, number>(GROUPS.map((g) => [g, 0]));
  let earlyRefusalResets = 0;
  const fiveHundreds: string[] = [];
  cases.forEach((c, i) => {
    const answer = answers[i] as RawResponse;
    casesPerGroup.set(c.group, (casesPerGroup.get(c.group) ?? 0) + 1);
    if (answer.status >= 500)
      fiveHundreds.push(`${c.group}: ${c.name} -> ${answer.status} ${answer.code}`);
    // A refusal decided before the body is read (a bad key: 401; a declared length over the
    // limit: 413) is answered at once and the connection closed; a client still sending a large
    // body can then see a reset instead of the answer. That is the refusal too.
    const resetOnEarlyRefusal =
      (c.status === 401 || c.status === 413) &&
      (c.request.body?.length ?? 0) > 64 * 1024 &&
      answer.status === 0 &&
      ['EPIPE', 'ECONNRESET'].includes(answer.networkError ?? '');
    if (resetOnEarlyRefusal) earlyRefusalResets++;
    const ok =
      resetOnEarlyRefusal ||
      (answer.status === c.status &&
        answer.code === c.code &&
        (c.status !== 200 ||
          (answer.json as { received?: unknown } | undefined)?.received === true));
    if (!ok) {
      wrong
        .get(c.group)
        ?.push(
          `${c.group}: ${c.name}: expected ${c.status} ${c.code ?? '-'}, got ${answer.status} ${answer.code ?? '-'}${answer.networkError ? ` (${answer.networkError})` : ''}`,
        );
    }
  });
  return { distinct, wrong, casesPerGroup, earlyRefusalResets, fiveHundreds };
}

/** The events topic: exactly the events that were to be accepted, once each. */
export function judgeEventsTopic(cases: readonly Case[], topic: TopicCopies): EventsTopicVerdict {
  const expectedOnTopic = new Map<string, number>();
  for (const c of cases) {
    if (c.acceptedEventId === undefined) continue;
    const id = headerForm(c.acceptedEventId);
    expectedOnTopic.set(id, (expectedOnTopic.get(id) ?? 0) + 1);
  }
  const expectedRecords = [...expectedOnTopic.values()].reduce((a, b) => a + b, 0);
  let leaks = 0;
  let missing = 0;
  for (const [id, count] of topic.copies)
    leaks += Math.max(0, count - (expectedOnTopic.get(id) ?? 0));
  for (const [id, count] of expectedOnTopic)
    missing += Math.max(0, count - (topic.copies.get(id) ?? 0));

  return { leaks, missing, topicRecords: topic.records, expectedRecords };
}

/** The quarantine topic: exactly the authenticated 400 bodies with their codes, never an unauthenticated one. */
export function judgeQuarantine(
  cases: readonly Case[],
  quarantined: readonly TopicMessage[],
): QuarantineVerdict {
  const expectedQuarantine = new Map<string, string[]>();
  const unauthBodies = new Set<string>();
  for (const c of cases) {
    const hash = sha(c.request.body ?? Buffer.alloc(0));
    if (!c.authenticated) unauthBodies.add(hash);
    else if (c.status === 400 && c.code !== undefined && QUARANTINED.has(c.code)) {
      expectedQuarantine.set(hash, [...(expectedQuarantine.get(hash) ?? []), c.code]);
    }
  }
  const collisions = [...unauthBodies].filter((h) => expectedQuarantine.has(h)).length;
  const remaining = new Map([...expectedQuarantine].map(([h, codes]) => [h, [...codes]]));
  let unexpectedQuarantine = 0;
  let wrongReason = 0;
  let unauthInQuarantine = 0;
  for (const record of quarantined) {
    const hash = sha(record.value);
    if (unauthBodies.has(hash) || record.value.includes('unauth-')) unauthInQuarantine++;
    const codes = remaining.get(hash);
    if (!codes || codes.length === 0) {
      unexpectedQuarantine++;
      continue;
    }
    const reason = record.headers['novamed-reject-code'] ?? '';
    const at = codes.indexOf(reason);
    if (at < 0) {
      wrongReason++;
      codes.shift();
    } else codes.splice(at, 1);
  }
  const expectedQuarantined = [...expectedQuarantine.values()].reduce((n, c) => n + c.length, 0);
  const missingQuarantine = [...remaining.values()].reduce((n, c) => n + c.length, 0);

  return {
    quarantined: quarantined.length,
    expectedQuarantined,
    unexpectedQuarantine,
    wrongReason,
    missingQuarantine,
    unauthInQuarantine,
    collisions,
  };
}
