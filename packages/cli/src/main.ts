import type { CliIo } from './cli-io.js';
import { runCli } from './run-cli.js';

// The only file of the CLI that touches the process: arguments, environment, signals, exit.
const controller = new AbortController();
let interrupts = 0;
const args = process.argv.slice(2);
if (args[0] !== 'up') {
  // `up` handles its own signals (it stops the services, then the servers).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      interrupts++;
      if (interrupts > 1) {
        process.stderr.write('\nInterrupted again: exiting now.\n');
        process.exit(130);
      }
      process.stderr.write('\nStopping (Ctrl-C again to exit at once)...\n');
      controller.abort();
    });
  }
}
const io: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
};
const code = await runCli(args, io);
// Flush before exiting: stdout may be a pipe (or a terminal that is gone: exit anyway).
setTimeout(() => process.exit(code), 2000).unref();
process.stdout.write('', () => process.exit(code));
