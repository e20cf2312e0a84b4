import { type ProjectorDefinition, projectorGroupId } from '@novamed-stream/projection';
import { ALL_PROJECTORS } from '@novamed-stream/projectors';
import { usageError } from './cli-error.js';

/** The three projector definitions, in a fixed order. */
export const DEFINITIONS: readonly ProjectorDefinition[] = ALL_PROJECTORS;

/** Projector names, for help texts: `orders, medication_requests, refills`. */
export const PROJECTOR_NAMES = DEFINITIONS.map((d) => d.name);

/** The consumer group of a projector version on `topic` (see `projectorGroupId`). */
export function projectorGroup(projector: string, version: number, topic: string): string {
  return projectorGroupId(projector, version, topic);
}

/** True for a projector's consumer group (its offsets live in Postgres, not in Kafka). */
export function isProjectorGroup(groupId: string): boolean {
  return /^novamed-projector-[a-z_]+-v\d+(-.+)?$/.test(groupId);
}

/** `all` -> every definition; a projector name (`orders`, or `medication-requests`) -> that one. */
export function resolveProjectors(
  name: string | undefined,
  command: string,
  allowAll = true,
): readonly ProjectorDefinition[] {
  const choices = allowAll ? `${PROJECTOR_NAMES.join(', ')} or all` : PROJECTOR_NAMES.join(', ');
  if (name === undefined) {
    throw usageError(
      `Which projection? Name one of ${choices}.`,
      `For example \`novamed-stream ${command} orders\`.`,
    );
  }
  if (allowAll && name === 'all') return DEFINITIONS;
  const normalised = name.replaceAll('-', '_');
  const definition = DEFINITIONS.find((d) => d.name === normalised);
  if (!definition) {
    throw usageError(
      `Unknown projection ${JSON.stringify(name)}: expected ${choices}.`,
      `For example \`novamed-stream ${command} orders\`.`,
    );
  }
  return [definition];
}
