/**
 * A timestamp as stored in read-model states: `new Date(ts).toISOString()`, i.e. UTC with
 * millisecond precision and a fixed width, so two of them compare correctly as strings.
 * The events package only admits zoned ISO 8601 date-times, which this always accepts.
 */
export function normaliseTimestamp(timestamp: string): string {
  return new Date(timestamp).toISOString();
}

/**
 * The total order of events used for last-writer-wins: `<normalised timestamp>|<event_id>`.
 * The fixed-width timestamp decides first; equal instants fall back to the event_id
 * (lexicographic), so any two distinct events compare unequal.
 */
export function eventVersion(event: { timestamp: string; event_id: string }): string {
  return `${normaliseTimestamp(event.timestamp)}|${event.event_id}`;
}
