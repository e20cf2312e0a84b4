import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  dashboardFile,
  readDashboardPanels,
  repoRoot,
} from '../../prometheus/test/alerting-queries.js';

// No Docker engine here: docker compose cannot run, so this checks what it would be given.

interface ComposeService {
  image?: string;
  command?: string[];
  volumes?: string[];
}

async function compose(): Promise<{ services: Record<string, ComposeService> }> {
  return parse(await readFile(`${repoRoot}docker-compose.yml`, 'utf8'));
}

async function yamlFile<T>(path: string): Promise<T> {
  return parse(await readFile(`${repoRoot}${path}`, 'utf8')) as T;
}

/** The container path a repository folder or file is mounted at. */
function mountOf(service: ComposeService, hostPath: string): string | undefined {
  const volume = service.volumes?.find((v) => v.startsWith(`${hostPath}:`));
  return volume?.split(':')[1];
}

describe('docker-compose.yml: Prometheus and Grafana', () => {
  it('runs both from pinned images', async () => {
    const { services } = await compose();
    expect(services['prometheus']?.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(services['grafana']?.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
  });

  it('mounts files that exist in the repository', async () => {
    const { services } = await compose();
    for (const name of ['prometheus', 'grafana']) {
      const binds = (services[name]?.volumes ?? []).filter((v) => v.startsWith('./'));
      expect(binds.length, name).toBeGreaterThan(0);
      for (const bind of binds)
        expect(existsSync(`${repoRoot}${bind.split(':')[0]}`), bind).toBe(true);
    }
  });

  it('gives Prometheus the configuration and the rules at the paths the configuration names', async () => {
    const { services } = await compose();
    const prometheus = services['prometheus'] ?? {};
    const config = mountOf(prometheus, './deploy/prometheus/prometheus.yml');
    expect(prometheus.command).toContain(`--config.file=${config}`);
    const { rule_files } = await yamlFile<{ rule_files: string[] }>(
      'deploy/prometheus/prometheus.yml',
    );
    const rulesDir = mountOf(prometheus, './deploy/prometheus/rules');
    // rule_files are relative to the configuration file's folder.
    expect(
      rule_files.every((f) => `${config?.replace(/[^/]+$/, '')}${f}`.startsWith(`${rulesDir}/`)),
    ).toBe(true);
  });

  it('scrapes every service of the compose file that serves /metrics, by its service name', async () => {
    const { services } = await compose();
    const config = await yamlFile<{
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    }>('deploy/prometheus/prometheus.yml');
    const hosts = config.scrape_configs.flatMap((s) =>
      s.static_configs.flatMap((c) => c.targets.map((t) => t.split(':')[0])),
    );
    for (const name of [
      'ingress',
      'projector-orders',
      'projector-medication-requests',
      'projector-refills',
    ]) {
      expect(services[name], name).toBeDefined();
      expect(hosts, name).toContain(name);
    }
  });

  it('provisions the Prometheus datasource the dashboard uses, and the dashboard folder', async () => {
    const { services } = await compose();
    const grafana = services['grafana'] ?? {};
    expect(mountOf(grafana, './deploy/grafana/provisioning')).toBe('/etc/grafana/provisioning');
    const datasources = await yamlFile<{
      datasources: { uid: string; type: string; url: string }[];
    }>('deploy/grafana/provisioning/datasources/prometheus.yml');
    const [datasource] = datasources.datasources;
    expect(datasource?.type).toBe('prometheus');
    expect(datasource?.url).toBe('http://prometheus:9090');
    const providers = await yamlFile<{ providers: { options: { path: string } }[] }>(
      'deploy/grafana/provisioning/dashboards/novamed-stream.yml',
    );
    expect(providers.providers[0]?.options.path).toBe(
      mountOf(grafana, './deploy/grafana/dashboards'),
    );

    const panels = (await readDashboardPanels()).filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThan(10);
    const dashboard = JSON.parse(await readFile(dashboardFile, 'utf8')) as {
      uid: string;
      panels: { datasource?: { uid: string }; targets?: { datasource?: { uid: string } }[] }[];
    };
    expect(dashboard.uid).toBe('novamed-stream');
    for (const panel of dashboard.panels.filter((p) => p.targets !== undefined)) {
      expect(panel.datasource?.uid).toBe(datasource?.uid);
      for (const target of panel.targets ?? [])
        expect(target.datasource?.uid).toBe(datasource?.uid);
    }
  });
});
