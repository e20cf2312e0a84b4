import { type ParseArgsConfig, parseArgs } from 'node:util';
import { usageError } from './cli-error.js';
import type { CliIo } from './cli-io.js';
import { Output } from './output.js';

/** Option specs as node:util's parseArgs takes them. */
export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** Parsed option values. */
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** What a command gets to run. */
export interface CommandContext {
  values: OptionValues;
  positionals: string[];
  io: CliIo;
  out: Output;
}

/** One subcommand of `novamed-stream`. */
export interface Command {
  /** As typed, e.g. `rebuild` or `topics create`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The full `--help` text (usage, options, examples). */
  help: string;
  /** Options besides `--help` and `--json`. */
  options: OptionSpecs;
  /** Runs it; resolves to the exit code (0 only on success). */
  run(context: CommandContext): Promise<number>;
}

/** Options every command has. */
export const COMMON_OPTIONS: OptionSpecs = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
};

/** Connection options of the commands that talk to Kafka and/or Postgres. */
export const CONNECTION_OPTIONS = {
  kafka: { brokers: { type: 'string' }, topic: { type: 'string' } },
  database: { 'database-url': { type: 'string' } },
} as const satisfies Record<string, OptionSpecs>;

/** Help lines for {@link CONNECTION_OPTIONS}. */
export const CONNECTION_HELP = {
  kafka: `  --brokers <host:port,...>   Kafka bootstrap servers (else KAFKA_BROKERS, else the running
                              local stack's .novamed-stream/stack.json)
  --topic <name>              the events topic (default novamed.events.v1)`,
  database: `  --database-url <url>        postgres:// URL (else DATABASE_URL, else stack.json)`,
  common: `  --json                      one JSON document on stdout instead of tables
  -h, --help                  this help`,
};

/** Parses a command's arguments strictly: an unknown option is a usage error (exit 2). */
export function parseCommandArgs(
  command: Command,
  args: readonly string[],
  io: CliIo,
): CommandContext {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { ...COMMON_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    return { values, positionals, io, out: new Output(io, values['json'] === true) };
  } catch (error) {
    throw usageError(
      `${(error as Error).message.replace(/\.$/, '')} (novamed-stream ${command.name}).`,
      `See \`novamed-stream ${command.name} --help\`.`,
    );
  }
}

/** A string option's value, or undefined. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A required string option; a usage error names it when missing. */
export function requiredOption(values: OptionValues, name: string, command: string): string {
  const value = stringOption(values, name);
  if (value === undefined || value.trim() === '') {
    throw usageError(
      `--${name} is required.`,
      `See \`novamed-stream ${command} --help\` for an example.`,
    );
  }
  return value.trim();
}

/** An integer option within bounds, or `fallback` when absent. */
export function integerOption(
  values: OptionValues,
  name: string,
  fallback: number,
  bounds: { min: number; max: number },
): number {
  const raw = stringOption(values, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < bounds.min || value > bounds.max) {
    throw usageError(
      `--${name} must be an integer from ${bounds.min} to ${bounds.max} (got ${JSON.stringify(raw)}).`,
      `Pass a whole number, e.g. --${name} ${fallback}.`,
    );
  }
  return value;
}
