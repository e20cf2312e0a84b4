/** A UUID in any case, as the guide's clinic and webhook ids. */
export const UUID_PATTERN =
  '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const UUID = new RegExp(UUID_PATTERN);

/** True for a UUID string. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
