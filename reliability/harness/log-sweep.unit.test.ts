import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { needleForms, sweepLogs } from './log-sweep.js';
import { plantCanary, removePlantedCanary } from './planted-canary.js';

const dirs: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'log-sweep-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const name = 'Zoë "Quoted" O\'Brien-Ñúñez';
const secrets = [{ label: 'patient name', value: name }];

/** Sweeps one file holding `lines`; returns the 1-based numbers of the lines reported. */
function reported(lines: string[], values = secrets): number[] {
  const dir = scratch();
  writeFileSync(join(dir, 'service.log'), `${lines.join('\n')}\n`);
  return sweepLogs([dir], values).hits.map((h) => Number(h.split(':').at(-2)));
}

describe('sweepLogs', () => {
  it('finds a value written plainly (UTF-8, as pino writes non-ASCII)', () => {
    expect(
      reported([
        '{"msg":"ok"}',
        `{"msg":"x","name":"${name.replaceAll('"', '\\"')}"}`,
        `plain ${name} text`,
      ]),
    ).toEqual([2, 3]);
  });

  it('finds a value JSON-escaped: quotes and backslashes, non-ASCII as \\u escapes in either case, a line break as \\n', () => {
    const escaped = JSON.stringify({ name });
    const ascii = escaped.replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
    const upper = ascii.replace(/\\u([0-9a-f]{4})/g, (_, h: string) => `\\u${h.toUpperCase()}`);
    expect(ascii).not.toBe(escaped);
    const multiline = [{ label: 'address', value: '12 Canary Lane\nFlat 3' }];
    expect(reported([escaped, ascii, upper])).toEqual([1, 2, 3]);
    expect(reported([JSON.stringify({ address: '12 Canary Lane\nFlat 3' })], multiline)).toEqual([
      1,
    ]);
  });

  it('finds a value percent-encoded in a logged URL', () => {
    expect(reported([JSON.stringify({ url: `/p?name=${encodeURIComponent(name)}` })])).toEqual([1]);
  });

  it('reports nothing where the value is absent or only a part of it is there', () => {
    expect(
      reported(['{"name":"Zoë"}', "O'Brien", JSON.stringify({ n: name.slice(0, -1) })]),
    ).toEqual([]);
  });

  it('names the secret, never its value, and counts a line holding it in two forms once', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'a.log'), `${name} ${JSON.stringify(name)}\n`);
    const report = sweepLogs([dir], secrets);
    expect(report.hits).toEqual([`${join(dir, 'a.log')}:1: patient name`]);
    expect(report.hits.join('')).not.toContain('Brien');
  });

  it('finds every line of the planted canary the final sweep starts with, and nothing once it is removed', () => {
    const dir = scratch();
    const canary = plantCanary(dir);
    const hits = sweepLogs([dir], canary.secrets).hits;
    expect(new Set(hits.map((h) => h.split(': ')[0])).size).toBe(canary.lines);
    for (const s of canary.secrets) expect(hits.some((h) => h.endsWith(`: ${s.label}`))).toBe(true);
    removePlantedCanary(canary);
    expect(sweepLogs([dir], canary.secrets)).toMatchObject({ files: 0, hits: [] });
  });
});

describe('needleForms', () => {
  it('is one form for a plain ASCII value (canary markers, keys)', () => {
    expect(needleForms('cnry0a1b2c3d')).toEqual(['cnry0a1b2c3d']);
  });
});
