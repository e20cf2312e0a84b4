import { runCli } from '../src/index.js';

/** What a command printed and returned. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout's JSON lines, parsed. */
  documents(): Array<Record<string, unknown>>;
  /** The last JSON line of stdout. */
  json(): Record<string, unknown>;
}

/**
 * Runs `novamed-stream <args>` in-process with captured output and the given environment only
 * (never the test process's), so nothing leaks in from the machine.
 */
export async function runCommand(
  args: readonly string[],
  options: { env?: Record<string, string>; signal?: AbortSignal; stackFile?: string } = {},
): Promise<CommandResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: options.env ?? {},
    signal: options.signal ?? new AbortController().signal,
    stackFile: options.stackFile ?? '/nonexistent/novamed-stream/stack.json',
  });
  const documents = () =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    code,
    stdout,
    stderr,
    documents,
    json: () => {
      const all = documents();
      const last = all[all.length - 1];
      if (!last) throw new Error(`no JSON on stdout; stderr: ${stderr}`);
      return last;
    },
  };
}
