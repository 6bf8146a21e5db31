/**
 * `hass-auth audit …`: the audit trail, every transition of every login grant, refresh token and
 * flow (stores/types.ts AuditEntry), one line each:
 *
 *   TIME MACHINE RECORD EVENT FROM→TO user=… client=… ip=… [DETAIL]
 *
 * `tail` shows the newest entries of the deployment; `show` one record's history (a refresh-token
 * id, a flow id, or a code's SHA-256: codes themselves are never kept). A rotated token's history
 * names its successor; a revoked one, the reason.
 */
import type { AuditEntry } from '../stores/types.js';
import type { CliCommand } from './command.js';
import { printable } from './token-lines.js';

const DEFAULT_TAIL = 20;

export function auditLine(entry: AuditEntry): string {
  return [
    new Date(entry.at).toISOString(),
    entry.machine,
    entry.recordId,
    entry.event,
    `${entry.from ?? '∅'}→${entry.to}`,
    `user=${entry.userId ?? '-'}`,
    `client=${printable(entry.clientId ?? '-')}`,
    `ip=${entry.ip ?? '-'}`,
    ...(entry.detail === null ? [] : [printable(entry.detail)]),
  ].join('\t');
}

/** COUNT as given: a whole number above 0 (digits only, so `1e3` and ` 5` are refused), or NaN. */
const countOf = (count: string | undefined) => (count === undefined ? DEFAULT_TAIL : /^\d+$/.test(count) ? Number(count) : Number.NaN);

const tail: CliCommand = {
  words: ['audit', 'tail'],
  args: ['[COUNT]'],
  summary: `print the newest audit entries (${DEFAULT_TAIL} by default), oldest first`,
  checkArgs: ([count]) => {
    const limit = countOf(count);
    return Number.isSafeInteger(limit) && limit >= 1 ? null : `audit tail: COUNT must be a whole number above 0, not ${printable(count ?? '')}`;
  },
  async run({ store, out }, [count]) {
    for (const entry of await store.audit.tail(countOf(count))) out(auditLine(entry));
  },
};

const show: CliCommand = {
  words: ['audit', 'show'],
  args: ['RECORD_ID'],
  summary: "print one record's history (a refresh-token or flow id)",
  async run({ store, out }, [recordId = '']) {
    const entries = await store.audit.forRecord(recordId);
    if (entries.length === 0) out('No audit entries');
    for (const entry of entries) out(auditLine(entry));
  },
};

export const auditCommands: CliCommand[] = [tail, show];
