/**
 * Thrown by the runtime when a read model's `evolve` throws for an event: marks the failure
 * as the event's (see `classifyFailure`). Its message is fixed; the original error is the
 * `cause` and is never logged or stored (it may quote a value of the event).
 */
export class EvolveError extends Error {
  override readonly name = 'EvolveError';

  constructor(cause: unknown) {
    super("the read model's evolve threw", { cause });
  }
}
