import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readAlertRules, rulesTestFile } from './alerting-queries.js';

// Label names an alert may carry or group by: bounded, and never patient data.
const ALLOWED_LABELS = new Set([
  'job',
  'instance',
  'projector',
  'partition',
  'reason',
  'code',
  'route',
  'status',
  'le',
  'event_type',
]);

interface RuleTest {
  input_series: unknown[];
  alert_rule_test: { alertname: string; exp_alerts: unknown[] }[];
}

describe('alert rules', () => {
  it('each has a severity, a `for`, a summary, a description and a runbook sentence', async () => {
    for (const rule of await readAlertRules()) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.['severity']);
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      for (const key of ['summary', 'description', 'runbook']) {
        expect(rule.annotations?.[key]?.length ?? 0, `${rule.alert} ${key}`).toBeGreaterThan(10);
      }
      expect(rule.annotations?.['runbook'], rule.alert).toMatch(/^First /);
    }
  });

  it('group and match only on bounded, PHI-free labels', async () => {
    for (const rule of await readAlertRules()) {
      const lists = [...rule.expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)];
      const matchers = [...rule.expr.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)\s*"/g)];
      const labels = [
        ...lists.flatMap((m) => (m[1] ?? '').split(',').map((l) => l.trim())),
        ...matchers.map((m) => m[1] ?? ''),
      ].filter((l) => l !== '');
      for (const label of labels)
        expect(ALLOWED_LABELS, `${rule.alert}: ${label}`).toContain(label);
    }
  });

  it('each has a promtool test where it fires and one where it stays quiet', async () => {
    const tests = (parse(await readFile(rulesTestFile, 'utf8')) as { tests: RuleTest[] }).tests;
    for (const rule of await readAlertRules()) {
      const own = tests.flatMap((t) =>
        t.alert_rule_test
          .filter((e) => e.alertname === rule.alert)
          .map((e) => ({ expected: e.exp_alerts.length, series: t.input_series.length })),
      );
      expect(
        own.some((e) => e.expected > 0),
        `${rule.alert} fires somewhere`,
      ).toBe(true);
      // Quiet: an evaluation expecting nothing, or fewer alerts than the series it was given.
      expect(
        own.some((e) => e.expected < e.series),
        `${rule.alert} stays quiet somewhere`,
      ).toBe(true);
    }
  });
});
