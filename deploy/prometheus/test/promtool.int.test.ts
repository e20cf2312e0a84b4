import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  type AlertRule,
  prometheusConfigFile,
  readAlertRules,
  rulesFile,
  rulesTestFile,
} from './alerting-queries.js';
import { PROMTOOL_MISSING, promtoolOutput, runPromtool } from './promtool.js';

// promtool comes with Debian's `prometheus` package. Without it these tests fail (with
// PROMTOOL_MISSING), they never skip: the alert rules would be untested otherwise.

let scratch: string;
let rules: AlertRule[];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'novamed-promtool-'));
  rules = await readAlertRules();
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('deploy/prometheus, checked by promtool', () => {
  it('promtool check config accepts prometheus.yml and the rule files its glob finds', async () => {
    const output = await promtoolOutput(['check', 'config', prometheusConfigFile]);
    expect(output).toContain('is valid prometheus config file syntax');
    // The rule_files glob matched the rules file (not zero files, which promtool accepts).
    expect(output).toContain(basename(rulesFile));
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('promtool check rules accepts the rules file', async () => {
    const output = await promtoolOutput(['check', 'rules', rulesFile]);
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('promtool test rules passes: each alert fires on its bad series and stays quiet on the good ones', async () => {
    const output = await promtoolOutput(['test', 'rules', rulesTestFile]);
    expect(output).toContain('SUCCESS');
  });

  it('each alert has a test that fails when that alert never fires', async () => {
    const original = parse(await readFile(rulesFile, 'utf8')) as {
      groups: { rules: AlertRule[] }[];
    };
    // Each mutant replaces one alert's expression by one that never fires; two at a time.
    const verdict = async (rule: AlertRule): Promise<string | undefined> => {
      const folder = await mkdtemp(join(scratch, 'mutant-'));
      const mutant = structuredClone(original);
      for (const group of mutant.groups) {
        for (const r of group.rules) if (r.alert === rule.alert) r.expr = 'vector(0) > 1';
      }
      await writeFile(join(folder, basename(rulesFile)), stringify(mutant));
      await copyFile(rulesTestFile, join(folder, basename(rulesTestFile)));
      const outcome = await runPromtool(['test', 'rules', join(folder, basename(rulesTestFile))]);
      if (outcome.ok) return rule.alert;
      switch (outcome.reason) {
        case 'MISSING':
          throw new Error(PROMTOOL_MISSING);
        case 'FAILED':
          // It failed for this alert, not for a syntax error of the mutant.
          if (!outcome.output.includes(`alertname: ${rule.alert},`)) {
            throw new Error(`mutant of ${rule.alert} failed otherwise:\n${outcome.output}`);
          }
          return undefined;
        default: {
          const unreachable: never = outcome;
          throw new Error(`unexpected outcome ${String(unreachable)}`);
        }
      }
    };
    const undetected: string[] = [];
    for (let i = 0; i < rules.length; i += 2) {
      const verdicts = await Promise.all(rules.slice(i, i + 2).map(verdict));
      undetected.push(...verdicts.filter((alert) => alert !== undefined));
    }
    expect(undetected, 'alerts whose tests pass even when they never fire').toEqual([]);
  });
});
