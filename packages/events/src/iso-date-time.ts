const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function validCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
}

/**
 * True for an RFC 3339 / ISO 8601 date-time with a time zone (`2025-01-15T10:30:00.000Z`,
 * `2025-01-15T10:30:00+01:00`) that names a real instant. A zone is required: a local time is
 * ambiguous, and the projections order events by it.
 */
export function isIsoDateTime(value: string): boolean {
  const m = ISO_DATE_TIME.exec(value);
  if (!m) return false;
  const [, y, mo, d, h, mi, s] = m;
  if (!validCalendarDate(Number(y), Number(mo), Number(d))) return false;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return false;
  return !Number.isNaN(Date.parse(value));
}

/** True for an ISO 8601 calendar date (`2025-01-18`) that exists. */
export function isIsoDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  return validCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
}
