import { pino } from 'pino';
import { vi } from 'vitest';
import type { Logger } from '../../src/domain/logger.js';

/** A logger whose calls tests can assert on, printing nothing. */
export function silentLogger() {
  return { info: vi.fn(), warn: vi.fn(), error: vi.fn() } satisfies Logger;
}

/** One line a pino logger wrote, parsed: `level` is pino's number (30 info, 40 warn, 50 error). */
export interface LogEntry {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export const PINO_WARN = 40;
export const PINO_ERROR = 50;

/** A pino logger at `level` (an app's `logger`) whose lines the test reads back, printing nothing. */
export function capturedLogger(level = 'trace') {
  const lines: string[] = [];
  const logger = pino({ level }, { write: (line: string) => lines.push(line) });
  return { logger, entries: (): LogEntry[] => lines.map((line) => JSON.parse(line) as LogEntry) };
}
