#!/usr/bin/env node
// Runs the TypeScript sources through tsx (with the `source` export condition, so workspace
// packages resolve to their src/ too); a deployment without sources runs the built dist/.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const source = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const args = !existsSync(source)
  ? [built, ...process.argv.slice(2)]
  : [
      '--import',
      import.meta.resolve('tsx'),
      '--conditions=source',
      source,
      ...process.argv.slice(2),
    ];
// An IPC channel too: the child notices when this process is gone, however it ended.
const child = spawn(process.execPath, args, { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
// Relay signals sent to us alone (a terminal's Ctrl-C reaches both; the child counts the twin
// it gets a moment later as the same request).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
