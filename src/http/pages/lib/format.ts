/** How the pages write times: the reader's own locale and time zone. */

/** An ISO-8601 time (Home Assistant's `isoformat()`), or `fallback` when there is none. */
export function when(iso: string | null, fallback = 'never'): string {
  if (iso === null) return fallback;
  const time = new Date(iso);
  return Number.isNaN(time.getTime()) ? iso : time.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
