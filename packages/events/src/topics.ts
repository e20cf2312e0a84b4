/** The system of record: every accepted webhook, as the raw bytes NovaMed sent. */
export const EVENTS_TOPIC = 'novamed.events.v1';

/**
 * Authenticated webhook bodies the ingress rejected with a 400 (bad JSON, bad envelope), kept
 * with the reason for forensics. Never consumed by projectors.
 */
export const QUARANTINE_TOPIC = 'novamed.quarantine.v1';

/** Messages a projector could not use (invalid data for their type), with the reason. */
export const DEAD_LETTER_TOPIC = 'novamed.dead-letter.v1';
