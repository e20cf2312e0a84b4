import { execFile } from 'node:child_process';

/** Outcome of one promtool command. */
export type PromtoolOutcome =
  | { ok: true; output: string }
  | { ok: false; reason: 'FAILED'; exitCode: number | null; output: string }
  | { ok: false; reason: 'MISSING' };

/** What to do when promtool is not installed: the tests fail with it, never skip. */
export const PROMTOOL_MISSING =
  "promtool not found on PATH: install Debian's `prometheus` package (apt-get install prometheus), " +
  'which brings promtool; .ci/run does so when it is missing.';

/** Runs `promtool <args>` from PATH, collecting stdout and stderr together. */
export function runPromtool(args: readonly string[], cwd?: string): Promise<PromtoolOutcome> {
  return new Promise((resolve) => {
    execFile('promtool', args, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (error === null) resolve({ ok: true, output });
      else if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        resolve({ ok: false, reason: 'MISSING' });
      else
        resolve({
          ok: false,
          reason: 'FAILED',
          exitCode: typeof error.code === 'number' ? error.code : null,
          output,
        });
    });
  });
}

/** The output of a promtool run that must succeed; throws with promtool's own output otherwise. */
export async function promtoolOutput(args: readonly string[], cwd?: string): Promise<string> {
  const outcome = await runPromtool(args, cwd);
  if (outcome.ok) return outcome.output;
  switch (outcome.reason) {
    case 'MISSING':
      throw new Error(PROMTOOL_MISSING);
    case 'FAILED':
      throw new Error(
        `promtool ${args.join(' ')} failed (exit ${outcome.exitCode}):\n${outcome.output}`,
      );
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}
