import { getPriority, setPriority } from 'node:os';
import {
  type RebuildEvent,
  type RebuildOutcome,
  type RebuildVerification,
  rebuildProjection,
} from '@novamed-stream/projection';
import { CliError, usageError } from '../cli-error.js';
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  type Command,
  type CommandContext,
  integerOption,
} from '../command.js';
import { connectDatabase, connectKafka, resolveTopic } from '../connection.js';
import { formatCount, formatDuration, type Output } from '../output.js';
import { ProgressBar } from '../progress-bar.js';
import { PROJECTOR_NAMES, resolveProjectors } from '../projector-names.js';
import { topicOffsets } from '../topic-offsets.js';

/** Exit code after Ctrl-C (128 + SIGINT). */
export const INTERRUPTED = 130;

function describeChecks(out: Output, verification: RebuildVerification): void {
  out.note(`  mode: ${verification.mode}, because ${verification.because}`);
  for (const check of verification.checks) {
    const verdict = check.ok ? 'ok' : check.required ? 'FAILED' : 'differs (expected)';
    out.note(`  ${check.name.padEnd(8)}  ${verdict}: ${check.detail}`);
  }
}

function onEvent(out: Output, bar: ProgressBar, json: boolean) {
  return (event: RebuildEvent) => {
    if (json) {
      out.document(event);
      return;
    }
    switch (event.type) {
      case 'started': {
        const from = event.resumed
          ? 'resuming from its checkpoints'
          : 'from the start of the topic';
        out.note(
          `${event.projector}: rebuilding into v${event.version} (live: ${event.liveVersion === null ? 'none' : `v${event.liveVersion}`}), ${from}; ${formatCount(event.total)} messages up to the end offsets taken now`,
        );
        if (event.restartedBecause) out.note(`  (${event.restartedBecause})`);
        if (event.truncated) {
          out.warn(
            'retention already deleted the start of the topic: aggregates whose first events are gone cannot be rebuilt exactly (see docs/topic-contract.md, Retention).',
          );
        }
        break;
      }
      case 'progress':
        bar.update({
          label: `${event.projector} v${event.version}`,
          done: event.done,
          total: event.total,
          perSecond: event.perSecond,
          etaSeconds: event.etaSeconds,
        });
        break;
      case 'caught-up':
        bar.finish();
        out.note(
          `${event.projector} v${event.version}: caught up in ${formatDuration(event.seconds)} (${formatCount(event.replayPerSecond)} msg/s); checking it against the live version (events that arrive meanwhile keep being applied)`,
        );
        break;
      case 'verified':
        describeChecks(out, event.verification);
        break;
      case 'activated':
        out.note(
          `${event.projector}: the analytics views now read v${event.version}${event.previousVersion === null ? '' : ` (v${event.previousVersion} retired)`}`,
        );
        break;
      case 'handed-off': {
        const text = {
          service: 'the projector service moved to the new version',
          'no-service': 'no projector service was running: one started later continues on it',
          timeout:
            'no projector service moved to it in time (pinned by PROJECTION_VERSION, or running other projection logic): see `novamed-stream status`',
          aborted: 'stopped before the projector service moved (it will on its next check)',
          'not-activated': '',
        }[event.handoff];
        if (text) out.note(`  ${text}`);
        break;
      }
      default: {
        const never: never = event;
        throw new Error(`unexpected rebuild event ${JSON.stringify(never)}`);
      }
    }
  };
}

function summary(outcome: RebuildOutcome): string {
  if (outcome.ok) {
    return outcome.activated
      ? `v${outcome.version} live (${formatCount(outcome.replayPerSecond)} msg/s)`
      : `v${outcome.version} built and checked, not activated`;
  }
  switch (outcome.reason) {
    case 'ALREADY_RUNNING':
      return 'another rebuild is running';
    case 'ABORTED':
      return `stopped at ${formatCount(outcome.done)}/${formatCount(outcome.total)}; live untouched`;
    case 'VERIFICATION_FAILED':
      return `v${outcome.version} differs from the live version; live untouched`;
    default: {
      const never: never = outcome;
      return String(never);
    }
  }
}

/** `novamed-stream rebuild <projection|all>`. */
export const rebuildCommand: Command = {
  name: 'rebuild',
  summary: 'Rebuild a read model into a new version from offset 0, check it, swap the views',
  help: `novamed-stream rebuild: rebuild read models without downtime

Usage: novamed-stream rebuild <${PROJECTOR_NAMES.join('|')}|all> [options]

Builds the next version of the read model (new tables, schema <name>_v<N>) from the start of
the topic while the live version keeps serving queries and consuming. Shows progress against
the end offsets taken at start (messages done / total, messages per second, ETA). When caught
up, compares the new version with the live one over the aggregates both have settled: row
and event counts must match, and so must a checksum of every state column when the
projection logic did not change (same logic fingerprint) or with --expect-identical. Then it
swaps the analytics views to the new version in one transaction, and keeps consuming until
the projector service has moved to the new version.

The rebuild runs at a lower CPU priority (nice 10), so the services and analysts on the same
machine come first.

Ctrl-C (or a crash) before the swap leaves the live version untouched; running the command
again resumes the version being built from its checkpoints (--fresh starts over). A failed
check also leaves the live version untouched and keeps the new version for inspection.

Options:
  --expect-identical          require the new version to equal the live one (checksum), even
                              if the logic fingerprint changed
  --logic-changed             the logic changed on purpose: report differences, do not fail
  --allow-row-count-change    do not require equal row and event counts (e.g. retention
                              deleted old events)
  --fresh                     drop a version left by an interrupted rebuild and start over
  --build-only                build and check, but do not swap the views
  --handoff-timeout <s>       after the swap, keep consuming until the projector service has
                              moved, at most this long (default 30)
  --concurrency <n>           partitions applied at once, each in its own transaction
                              (default 2; 1 leaves more of the database to queries, 3 is faster)
${CONNECTION_HELP.kafka}
${CONNECTION_HELP.database}
  --json                      NDJSON: one line per event (started, progress, caught-up,
                              verified, activated, handed-off), then {"type":"result",...}
  -h, --help                  this help

Exit codes: 0 rebuilt (and swapped), 1 a check failed or another rebuild runs, 130 Ctrl-C.

Examples:
  novamed-stream rebuild orders
  novamed-stream rebuild all --expect-identical
  novamed-stream rebuild refills --logic-changed --json > rebuild.ndjson`,
  options: {
    ...CONNECTION_OPTIONS.kafka,
    ...CONNECTION_OPTIONS.database,
    'expect-identical': { type: 'boolean' },
    'logic-changed': { type: 'boolean' },
    'allow-row-count-change': { type: 'boolean' },
    fresh: { type: 'boolean' },
    'build-only': { type: 'boolean' },
    'handoff-timeout': { type: 'string' },
    concurrency: { type: 'string' },
  },
  async run({ values, positionals, io, out }: CommandContext) {
    if (positionals.length > 1) {
      throw usageError(
        `rebuild takes one projection, got ${positionals.length}.`,
        'Name one, or all.',
      );
    }
    const definitions = resolveProjectors(positionals[0], 'rebuild');
    if (values['expect-identical'] && values['logic-changed']) {
      throw usageError(
        '--expect-identical and --logic-changed contradict each other.',
        'Pass one of them (or neither: the logic fingerprint decides).',
      );
    }
    const handoffTimeoutMs =
      integerOption(values, 'handoff-timeout', 30, { min: 0, max: 3600 }) * 1000;
    const concurrency = integerOption(values, 'concurrency', 2, { min: 1, max: 64 });
    const priority = getPriority();
    try {
      // Background work: let the services and the analysts' queries on this machine go first.
      setPriority(Math.max(priority, 10));
    } catch {
      // Not permitted here (or not supported): run at normal priority.
    }
    const topic = resolveTopic(values);
    const kafka = await connectKafka(values, io);
    const database = await connectDatabase(values, io).catch(async (error: unknown) => {
      await kafka.close();
      throw error;
    });
    const outcomes: RebuildOutcome[] = [];
    try {
      await topicOffsets(kafka.admin, topic);
      const bar = new ProgressBar(io.stderr);
      for (const definition of definitions) {
        if (io.signal.aborted) break;
        const outcome = await rebuildProjection({
          definition,
          kafka: kafka.kafka,
          db: database.db,
          topic,
          start: values['fresh'] ? 'fresh' : 'resume',
          expectIdentical: values['expect-identical'] === true,
          logicChanged: values['logic-changed'] === true,
          allowRowCountChange: values['allow-row-count-change'] === true,
          activate: values['build-only'] !== true,
          handoffTimeoutMs,
          partitionsConcurrently: concurrency,
          signal: io.signal,
          onEvent: onEvent(out, bar, out.json),
        });
        bar.finish();
        outcomes.push(outcome);
        if (!outcome.ok) break;
      }
    } finally {
      await database.close();
      await kafka.close();
      try {
        setPriority(priority);
      } catch {
        // Only a privileged process may raise its priority again; it is exiting anyway.
      }
    }

    return reportOutcomes(out, io, definitions.length, outcomes);
  },
};

/**
 * Prints the results (a table for several projections or a failure, else one line) and turns
 * the first failure into its exit code or CLI error. `expected`: the projections asked for.
 */
function reportOutcomes(
  out: Output,
  io: CommandContext['io'],
  expected: number,
  outcomes: readonly RebuildOutcome[],
): number {
  const ok = outcomes.length === expected && outcomes.every((o) => o.ok);
  out.document({ type: 'result', ok, results: outcomes });
  if (expected > 1 || outcomes.some((o) => !o.ok)) {
    out.line();
    out.table(outcomes, [
      { header: 'projection', value: (o) => o.projector },
      { header: 'result', value: (o) => (o.ok ? 'ok' : o.reason) },
      { header: 'details', value: summary },
    ]);
  } else if (outcomes[0]?.ok) {
    out.line(`${outcomes[0].projector}: ${summary(outcomes[0])}`);
  }
  const failed = outcomes.find((o) => !o.ok);
  if (failed && !failed.ok) {
    switch (failed.reason) {
      case 'ABORTED':
        if (!out.json) {
          io.stderr.write(
            `Stopped. The live version is untouched; \`novamed-stream rebuild ${failed.projector}\` resumes v${failed.version} (--fresh starts over).\n`,
          );
        }
        return INTERRUPTED;
      case 'ALREADY_RUNNING':
        throw new CliError(
          'REBUILD_RUNNING',
          `Another rebuild of ${failed.projector} is running (it holds the rebuild lock).`,
          { hint: 'Wait for it to finish, or stop it (Ctrl-C) and run this again.' },
        );
      case 'VERIFICATION_FAILED':
        throw new CliError(
          'REBUILD_CHECK_FAILED',
          `The new ${failed.projector} v${failed.version} does not match the live version (${failed.verification.checks
            .filter((c) => c.required && !c.ok)
            .map((c) => `${c.name}: ${c.detail}`)
            .join('; ')}). The live version is untouched.`,
          {
            hint:
              failed.verification.mode === 'identical'
                ? 'Same logic should give the same rows: look for events deleted by retention (docs/topic-contract.md) or a nondeterministic change. If the logic did change on purpose, rerun with --logic-changed.'
                : 'If the difference is expected (e.g. old events deleted by retention), rerun with --allow-row-count-change.',
          },
        );
      default: {
        const never: never = failed;
        return never;
      }
    }
  }
  if (io.signal.aborted && outcomes.length < expected) return INTERRUPTED;
  return ok ? 0 : 1;
}
