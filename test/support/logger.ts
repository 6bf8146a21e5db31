import { vi } from 'vitest';
import type { Logger } from '../../src/domain/logger.js';

/** A logger whose calls tests can assert on, printing nothing. */
export function silentLogger() {
  return { info: vi.fn(), warn: vi.fn(), error: vi.fn() } satisfies Logger;
}
