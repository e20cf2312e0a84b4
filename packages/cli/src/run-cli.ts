import { CliError } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import { type Command, parseCommandArgs } from './command.js';
import { dropVersionCommand } from './commands/drop-version.js';
import { errorsListCommand, errorsRetryCommand } from './commands/errors.js';
import { pseudonymKeyRotateCommand } from './commands/pseudonym-key.js';
import { rebuildCommand } from './commands/rebuild.js';
import { replayCommand } from './commands/replay.js';
import { statusCommand } from './commands/status.js';
import { topicsCreateCommand, topicsDescribeCommand } from './commands/topics.js';
import { upCommand } from './commands/up.js';
import { versionsCommand } from './commands/versions.js';
import { webhookDeleteCommand, webhookRegisterCommand } from './commands/webhook.js';
import { Output } from './output.js';

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  upCommand,
  statusCommand,
  topicsCreateCommand,
  topicsDescribeCommand,
  rebuildCommand,
  versionsCommand,
  dropVersionCommand,
  pseudonymKeyRotateCommand,
  replayCommand,
  errorsListCommand,
  errorsRetryCommand,
  webhookRegisterCommand,
  webhookDeleteCommand,
];

const GROUPS = ['topics', 'errors', 'webhook', 'pseudonym-key'];

/** The top-level help. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `novamed-stream: run and operate the NovaMed event backbone

Usage: novamed-stream <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}
  ${'help <command>'.padEnd(width)}  Show a command's help (same as <command> --help)

Every command takes --help, prints tables for people and --json for scripts, and exits 0 only
on success (1: failed or refused, 2: wrong command line, 130: interrupted). Kafka and Postgres
come from --brokers / --database-url, else KAFKA_BROKERS / DATABASE_URL, else the running local
stack (.novamed-stream/stack.json). See docs/cli.md.`;
}

function groupHelp(group: string): string {
  const commands = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  return `Usage: novamed-stream ${group} <${commands.map((c) => c.name.split(' ')[1]).join('|')}> [options]

${commands.map((c) => `  ${c.name.padEnd(18)}  ${c.summary}`).join('\n')}

See \`novamed-stream ${group} <subcommand> --help\`.`;
}

function findCommand(args: readonly string[]): { command: Command; rest: string[] } | undefined {
  const [first, second] = args;
  const two = COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (two) return { command: two, rest: args.slice(2) };
  const one = COMMANDS.find((c) => c.name === first);
  return one ? { command: one, rest: args.slice(1) } : undefined;
}

/**
 * Runs the command line `args` (without the program name) and resolves to the exit code.
 * Expected failures ({@link CliError}) are printed with their hint; anything else is printed
 * as an unexpected error (exit 1), never with a stack trace unless NOVAMED_DEBUG is set.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const json = args.includes('--json');
  const out = new Output(io, json);
  const first = args[0];
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    const target = first === 'help' && args.length > 1 ? findCommand(args.slice(1)) : undefined;
    if (first === 'help' && args[1] && GROUPS.includes(args[1]) && !target) {
      io.stdout.write(`${groupHelp(args[1])}\n`);
      return 0;
    }
    if (first === 'help' && args.length > 1 && !target) {
      out.error(unknownCommand(args.slice(1).join(' ')));
      return 2;
    }
    io.stdout.write(`${target ? target.command.help : mainHelp()}\n`);
    return 0;
  }
  const found = findCommand(args);
  if (!found) {
    if (GROUPS.includes(first)) {
      const sub = args[1];
      if (sub === undefined || sub === '--help' || sub === '-h') {
        io.stdout.write(`${groupHelp(first)}\n`);
        return sub === undefined ? 2 : 0;
      }
      out.error(unknownCommand(`${first} ${sub}`));
      return 2;
    }
    out.error(unknownCommand(first));
    return 2;
  }
  try {
    const context = parseCommandArgs(found.command, found.rest, io);
    if (context.values['help'] === true) {
      io.stdout.write(`${found.command.help}\n`);
      return 0;
    }
    return await found.command.run(context);
  } catch (error) {
    if (error instanceof CliError) {
      out.error(error);
      return error.exitCode;
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    out.error(
      new CliError('UNEXPECTED', `novamed-stream ${found.command.name} failed: ${message}`, {
        hint: 'Rerun with NOVAMED_DEBUG=1 for the stack trace; if it persists, report it.',
      }),
    );
    if (io.env['NOVAMED_DEBUG'] && error instanceof Error) io.stderr.write(`${error.stack}\n`);
    return 1;
  }
}

function unknownCommand(name: string): CliError {
  return new CliError('UNKNOWN_COMMAND', `Unknown command: ${name}.`, {
    hint: 'Run `novamed-stream --help` for the list of commands.',
    exitCode: 2,
  });
}
