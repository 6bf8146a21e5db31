/**
 * The minutes that EndedRecordCounts (types.ts) counts by, the same on every store: a record is
 * counted in the minute it ended (epoch ms / 60 000), and the last hour is the current minute and
 * the 59 before it, so it reaches back between 59 and 60 minutes.
 */
export const MINUTE_MS = 60_000;
export const COUNTED_MINUTES = 60;

export const minuteOf = (at: number) => Math.floor(at / MINUTE_MS);
