/**
 * Whether a step changed a record: a transition that changes nothing writes nothing (actor-handle.ts).
 * Compared as the store would persist it, without encoding either snapshot: the status, the state
 * and the context's fields (the machines have no child actors, no history and no output, the rest of
 * xstate's persisted snapshot: src/stores/envelope.ts). xstate keeps the context object when no
 * `assign` ran, and an `assign` keeps the fields it does not set, so most fields compare by identity.
 */
type Persisted = { status: unknown; value: unknown; context: Record<string, unknown> };

/** A field's value as JSON writes it: objects by their text, for those a step rebuilt unchanged. */
const sameField = (a: unknown, b: unknown) => a === b || (typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b));

export function unchanged(before: unknown, after: unknown): boolean {
  const [from, to] = [before as Persisted, after as Persisted];
  if (from.status !== to.status || !sameField(from.value, to.value)) return false;
  if (from.context === to.context) return true;
  const keys = Object.keys(to.context);
  return keys.length === Object.keys(from.context).length && keys.every((key) => key in from.context && sameField(from.context[key], to.context[key]));
}
