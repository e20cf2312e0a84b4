import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const sources = readdirSync(join(root, 'src')).filter((f) => f.endsWith('.ts'));

/** Every module specifier a source file imports or re-exports (static and dynamic). */
function specifiers(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) found.push(match[1] as string);
  }
  return found;
}

describe('the oracle is independent of the code it checks', () => {
  it('imports only its own modules: no read-models, projectors, projection, nor any package', () => {
    expect(sources.length).toBeGreaterThan(3);
    const foreign = sources.flatMap((file) =>
      specifiers(readFileSync(join(root, 'src', file), 'utf8'))
        .filter((s) => !s.startsWith('./'))
        .map((s) => `${file} imports ${s}`),
    );
    expect(foreign).toEqual([]);
  });

  it('declares no dependency at all', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest['dependencies']).toBeUndefined();
    expect(manifest['peerDependencies']).toBeUndefined();
  });

  it('the scan sees imports in every spelling', () => {
    const text = [
      "import { project } from '@novamed-stream/read-models';",
      "import type { X } from '../../read-models/src/index.js';",
      "export * from '@novamed-stream/projectors';",
      "const m = await import('@novamed-stream/projection');",
      "import './side-effect.js';",
    ].join('\n');
    expect(specifiers(text)).toEqual([
      '@novamed-stream/read-models',
      '../../read-models/src/index.js',
      '@novamed-stream/projectors',
      './side-effect.js',
      '@novamed-stream/projection',
    ]);
  });
});
