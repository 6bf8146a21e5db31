/**
 * Times as Home Assistant's JSON shows them: Python's `datetime.isoformat()` of an aware UTC
 * datetime (orjson writes the same), `2025-06-20T10:00:00.123456+00:00`, the fraction left out
 * when it is zero. Times here are whole milliseconds, so the microseconds end in 000.
 */
export function pythonIsoformat(epochMs: number): string {
  const iso = new Date(epochMs).toISOString(); // 2025-06-20T10:00:00.123Z
  const millis = iso.slice(20, 23);
  return `${iso.slice(0, 19)}${millis === '000' ? '' : `.${millis}000`}+00:00`;
}

/**
 * `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|±HH[:MM]]`: what Home Assistant's `dt_util.parse_datetime`
 * (ciso8601, then a regex) reads in the stored files.
 */
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?)?$/i;

/**
 * Epoch ms of a datetime Home Assistant wrote (`isoformat()`), or null where its `parse_datetime`
 * would return None. Microseconds are cut to whole milliseconds; a time without an offset counts as
 * UTC (Home Assistant stores aware UTC times only).
 */
export function parsePythonDatetime(text: string): number | null {
  const match = ISO_DATETIME.exec(text);
  if (match === null) return null;
  const [, year, month, day, hour, minute, second = '0', fraction = '', zulu, sign, offsetHours = '0', offsetMinutes = '0'] = match;
  const parts = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const [y, mo, d, h, mi, s] = parts;
  const millis = Number(fraction.padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, millis);
  const back = new Date(utc);
  // Date.UTC rolls 2025-02-30 over into March; Python refuses it.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  if (zulu !== undefined || sign === undefined) return utc;
  const offsetMs = (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
  return sign === '+' ? utc - offsetMs : utc + offsetMs;
}
