import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The repository's root folder. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** The alert rules file. */
export const rulesFile = `${repoRoot}deploy/prometheus/rules/novamed-stream.rules.yml`;
/** The rules' `promtool test rules` file. */
export const rulesTestFile = `${repoRoot}deploy/prometheus/rules/novamed-stream.rules.test.yml`;
/** The Prometheus configuration. */
export const prometheusConfigFile = `${repoRoot}deploy/prometheus/prometheus.yml`;
/** The Grafana dashboard. */
export const dashboardFile = `${repoRoot}deploy/grafana/dashboards/novamed-stream.json`;

/** One alerting rule as the rules file holds it. */
export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A PromQL expression the operators rely on, and where it comes from. */
export interface AlertingQuery {
  /** `rule <alert>` or `dashboard panel "<title>"`. */
  source: string;
  expr: string;
}

/** The alerting rules of {@link rulesFile}. */
export async function readAlertRules(): Promise<AlertRule[]> {
  const doc = parse(await readFile(rulesFile, 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return doc.groups.flatMap((group) => group.rules);
}

interface DashboardPanel {
  title: string;
  type: string;
  targets?: { expr?: string }[];
  panels?: DashboardPanel[];
}

/** The panels of {@link dashboardFile}, rows' nested panels included. */
export async function readDashboardPanels(): Promise<DashboardPanel[]> {
  const dashboard = JSON.parse(await readFile(dashboardFile, 'utf8')) as {
    panels: DashboardPanel[];
  };
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

/** Every expression of the alert rules and of the dashboard. */
export async function alertingQueries(): Promise<AlertingQuery[]> {
  const rules = (await readAlertRules()).map((rule) => ({
    source: `rule ${rule.alert}`,
    expr: rule.expr,
  }));
  const panels = (await readDashboardPanels()).flatMap((panel) =>
    (panel.targets ?? []).flatMap((target) =>
      target.expr === undefined
        ? []
        : [{ source: `dashboard panel "${panel.title}"`, expr: target.expr }],
    ),
  );
  return [...rules, ...panels];
}
