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
