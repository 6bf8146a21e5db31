/**
 * `inspect/*`: what the inspection page (`GET /inspect`) shows, for owners and administrators only
 * (`require_admin`: anyone else gets `unauthorized`). Not Home Assistant commands; same message shapes.
 *
 *   {"id": 2, "type": "inspect/machines"}
 *     → {"machines": [{"name": "refreshToken", "version": 2, "initial": "issued",
 *         "states": [{"path": "issued", "key": "issued", "final": false, "element_id": "refreshToken-state-issued"}, …],
 *         "svg": {"tag": "svg", "attributes": {…}, "children": [{"tag": "g", …}, …]}}, …]}
 *   {"id": 3, "type": "inspect/counts"}
 *     → {"counts": {"loginGrant": {"issued": 1, "redeemed": 4, "expired": 0, "revoked": 0}, "refreshToken": {…}, …}}
 *   {"id": 4, "type": "inspect/record", "record_id": "<refresh-token id | flow id | SHA-256 of a code>"}
 *     → {"record": {"machine": "refreshToken", "id": "…", "state": "revoked", "state_paths": ["revoked"],
 *          "version": 2, "rev": 3, "summary": {"user_id": "…", "client_id": "…", "ended_at": 1764…, …}} | null,
 *        "history": [{"at": 1764…, "machine": "refreshToken", "record_id": "…", "event": "REVOKE", "from": "issued", "to": "revoked",
 *          "user_id": "…", "client_id": "…", "ip": "…", "detail": "reason=revoked emitted=refreshTokenEnded"}, …]}
 *     `record` is null when the record is gone but its history is kept; an id neither knows is
 *     `not_found` "Record not found.".
 *   {"id": 5, "type": "inspect/user", "user": "<user id | homeassistant username>"}
 *     → {"user": {"id": "…", "name": "Alice", "username": "alice", "is_owner": true, "is_active": true,
 *          "system_generated": false} | null,
 *        "refresh_tokens": [{"machine": "refreshToken", "id": "…", "state": "issued", …, "summary": {…}}, …],
 *        "history": [<the user's newest 100 audit entries, as above>]}
 *     `user` is null when the user is gone but the audit trail still names it; a user neither knows
 *     is `not_found` "User not found.".
 *   {"id": 6, "type": "inspect/subscribe"} → null, then {"id": 6, "type": "event", "event": {"counts": {…}}}
 *     at once and whenever the counts change (services/inspection/record-counts.ts), until `unsubscribe_events`
 *     or the socket closes.
 *
 * Times are epoch milliseconds. Nothing secret is in any answer (services/inspection/record-inspection.ts).
 */
import { CodedError } from '../../domain/errors.js';
import type { AuditEntry } from '../../stores/types.js';
import type { MachineDiagram } from '../../observability/machine-diagrams.js';
import type { RecordCountService } from '../../services/inspection/record-counts.js';
import type { InspectedRecord, RecordInspectionService } from '../../services/inspection/record-inspection.js';
import type { UserInspectionService } from '../../services/inspection/user-inspection.js';
import type { WsCommand } from '../command.js';

export interface InspectDeps {
  diagrams: () => Promise<MachineDiagram[]>;
  counts: RecordCountService;
  records: RecordInspectionService;
  users: UserInspectionService;
}

/** `userId` → `user_id`: the wire's spelling, as Home Assistant's answers have it. */
const snake = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

const snakeKeys = (object: object) => Object.fromEntries(Object.entries(object).map(([key, value]) => [snake(key), value as unknown]));

function recordAnswer({ summary, ...record }: InspectedRecord) {
  return { ...snakeKeys(record), summary: snakeKeys(summary) };
}

function historyEntry({ at, machine, recordId, event, from, to, userId, clientId, ip, detail }: AuditEntry) {
  return { at, machine, record_id: recordId, event, from, to, user_id: userId, client_id: clientId, ip, detail };
}

export function inspectCommands({ diagrams, counts, records, users }: InspectDeps): WsCommand[] {
  return [
    {
      type: 'inspect/machines',
      fields: null,
      requires: 'admin',
      run: async () => ({ machines: await diagrams() }),
    },
    {
      type: 'inspect/counts',
      fields: null,
      requires: 'admin',
      run: async () => ({ counts: await counts.current() }),
    },
    {
      type: 'inspect/record',
      fields: { record_id: { type: 'str', required: true } },
      requires: 'admin',
      async run(_context, message) {
        const found = await records.find(message.record_id as string);
        if (found === null) throw new CodedError('unknown_record');
        return { record: found.record === null ? null : recordAnswer(found.record), history: found.history.map(historyEntry) };
      },
    },
    {
      type: 'inspect/user',
      fields: { user: { type: 'str', required: true } },
      requires: 'admin',
      async run(_context, message) {
        const found = await users.find(message.user as string);
        if (found === null) throw new CodedError('uninspected_user');
        return {
          user: found.user === null ? null : snakeKeys(found.user),
          refresh_tokens: found.refreshTokens.map(recordAnswer),
          history: found.history.map(historyEntry),
        };
      },
    },
    {
      type: 'inspect/subscribe',
      fields: null,
      requires: 'admin',
      async run({ events }) {
        events.subscribe(counts.watch((current) => events.send({ counts: current })));
        return null;
      },
    },
  ];
}
