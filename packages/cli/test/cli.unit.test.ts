import { describe, expect, it } from 'vitest';
import {
  COMMANDS,
  parseBaseUrl,
  parseReplayTarget,
  progressLine,
  topicWarnings,
} from '../src/index.js';
import { renderTable } from '../src/output.js';
import { runCommand } from './run-command.js';

describe('novamed-stream command line', () => {
  it('lists every command in --help, and each command has its own --help with an example', async () => {
    const help = await runCommand(['--help']);
    expect(help.code).toBe(0);
    for (const command of COMMANDS) {
      expect(help.stdout).toContain(command.name);
      const own = await runCommand([...command.name.split(' '), '--help']);
      expect(own.code, command.name).toBe(0);
      expect(own.stdout).toContain(`Usage: novamed-stream ${command.name}`);
      expect(own.stdout, `${command.name} --help shows an example`).toMatch(/Example/);
    }
    expect((await runCommand(['help', 'rebuild'])).stdout).toContain(
      'Usage: novamed-stream rebuild',
    );
  });

  it('exits 2 with a hint on an unknown command, subcommand or option', async () => {
    const unknown = await runCommand(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /Unknown command: frobnicate[\s\S]*hint: Run `novamed-stream --help`/,
    );
    const sub = await runCommand(['topics', 'delete']);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toContain('Unknown command: topics delete');
    const option = await runCommand(['status', '--colour']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/Unknown option '--colour'[\s\S]*status --help/);
    const json = await runCommand(['rebuild', 'everything', '--json']);
    expect(json.code).toBe(2);
    expect(json.json()).toMatchObject({ ok: false, error: { code: 'USAGE' } });
  });

  it('says how to configure Kafka and Postgres when nothing names them', async () => {
    const kafka = await runCommand(['status']);
    expect(kafka.code).toBe(1);
    expect(kafka.stderr).toContain('No Kafka brokers configured');
    expect(kafka.stderr).toMatch(
      /--brokers host:port, set KAFKA_BROKERS, or start the local stack/,
    );
    const database = await runCommand(['versions', '--json']);
    expect(database.code).toBe(1);
    expect(database.json()).toMatchObject({
      ok: false,
      error: { code: 'NO_DATABASE', hint: expect.stringContaining('DATABASE_URL') },
    });
    const badUrl = await runCommand(['versions'], {
      env: { DATABASE_URL: 'mysql://u:secret@h/db' },
    });
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('from the environment is not a postgres:// URL');
    expect(badUrl.stderr).not.toContain('secret');
    const badBrokers = await runCommand(['status', '--brokers', 'kafka']);
    expect(badBrokers.code).toBe(2);
    expect(badBrokers.stderr).toContain('must be host:port');
  });

  it('checks its arguments before connecting anywhere', async () => {
    const missing = await runCommand(['replay', '--to', 'earliest']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--group is required');
    const both = await runCommand(['rebuild', 'orders', '--expect-identical', '--logic-changed']);
    expect(both.code).toBe(2);
    const version = await runCommand(['drop-version', 'orders']);
    expect(version.code).toBe(2);
    expect(version.stderr).toContain('needs a projection and a version number');
    const projector = await runCommand([
      'replay',
      '--group',
      'novamed-projector-orders-v1',
      '--to',
      'earliest',
    ]);
    expect(projector.code).toBe(1);
    expect(projector.stderr).toContain('use `novamed-stream rebuild <projection>`');
  });

  it('parses replay targets', () => {
    expect(parseReplayTarget('earliest')).toEqual({ kind: 'earliest' });
    expect(parseReplayTarget('latest')).toEqual({ kind: 'latest' });
    expect(parseReplayTarget('2025-01-15T10:00:00+02:00')).toEqual({
      kind: 'time',
      timestamp: Date.parse('2025-01-15T08:00:00Z'),
      iso: '2025-01-15T08:00:00.000Z',
    });
    expect(parseReplayTarget('2025-01-15')).toMatchObject({ iso: '2025-01-15T00:00:00.000Z' });
    for (const bad of ['yesterday', '2025-01-15T10:00:00', '2025-13-45T00:00:00Z', '']) {
      expect(() => parseReplayTarget(bad), bad).toThrow(/--to must be/);
    }
  });

  it('draws a progress line that fits and says how long is left', () => {
    const line = progressLine(
      { label: 'orders v2', done: 54_000, total: 120_000, perSecond: 5210, etaSeconds: 13 },
      80,
    );
    expect(line).toBe(
      'orders v2 [###########..............]  45% 54,000/120,000  5,210 msg/s  ETA 13s',
    );
    expect(line.length).toBeLessThanOrEqual(80);
    expect(
      progressLine({ label: 'x', done: 10, total: 10, perSecond: 0, etaSeconds: null }),
    ).toMatch(/100% 10\/10 .* done$/);
  });

  it('renders aligned tables', () => {
    expect(
      renderTable(
        [
          { a: 'orders', n: 5 },
          { a: 'refills', n: 12_345 },
        ],
        [
          { header: 'name', value: (r) => r.a },
          { header: 'rows', value: (r) => r.n.toLocaleString('en-US'), right: true },
        ],
      ),
    ).toBe(['name       rows', '-------  ------', 'orders        5', 'refills  12,345'].join('\n'));
  });

  it('warns about compaction and infinite retention', () => {
    expect(topicWarnings('t', { 'cleanup.policy': 'delete', 'retention.ms': '604800000' })).toEqual(
      [],
    );
    expect(topicWarnings('t', { 'cleanup.policy': 'compact' })[0]).toMatch(
      /latest message per key/,
    );
    expect(
      topicWarnings('t', {
        'cleanup.policy': 'delete',
        'retention.ms': '-1',
        'retention.bytes': '-1',
      })[0],
    ).toMatch(/forever/);
  });

  it('never sends the API key over plain http to another machine', () => {
    expect(parseBaseUrl('https://feapi.novamed.care').host).toBe('feapi.novamed.care');
    expect(parseBaseUrl('http://127.0.0.1:8090').port).toBe('8090');
    expect(parseBaseUrl('http://localhost:8090').hostname).toBe('localhost');
    expect(() => parseBaseUrl('http://feapi.novamed.care')).toThrow(/plain http/);
    expect(() => parseBaseUrl('ftp://x')).toThrow(/http\(s\)/);
    expect(() => parseBaseUrl('not a url')).toThrow(/not a URL/);
  });
});
