/**
 * What is wrong with Home Assistant's files, said so that the operator finds it: the file (relative
 * to the configuration directory), the field (`data.users[2].is_owner`, JSONPath without the `$`),
 * and what was expected. Secrets (passwords, tokens, `jwt_key`s, TOTP secrets) are never quoted.
 *
 * A FieldReader reads one file's JSON: each read checks a value, records a problem when it is not
 * what Home Assistant writes, and returns a stand-in so that reading goes on and every problem of
 * the file is found in one pass. Its result is worth using only when `problems` stayed empty.
 */

export interface InputProblem {
  /** `.storage/auth`, relative to the configuration directory. */
  file: string;
  /** Where in the file, or null for the file as a whole (missing, not JSON). */
  field: string | null;
  message: string;
}

/** A note about the input that does not stop the import (what Home Assistant itself drops or ignores). */
export type InputNote = InputProblem;

export type JsonObject = Record<string, unknown>;

/** `data.users` + 2 → `data.users[2]`; `data.users[2]` + `id` → `data.users[2].id`. */
export function fieldAt(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : `${path}.${key}`;
}

/** How a value shows in a message: missing, or its JSON cut short; a secret only by its kind. */
export function shown(value: unknown, secret = false): string {
  if (value === undefined) return 'nothing';
  if (secret && typeof value === 'string') return `a string of ${value.length} characters`;
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

export const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

export class FieldReader {
  readonly problems: InputProblem[] = [];
  readonly notes: InputNote[] = [];

  constructor(readonly file: string) {}

  problem(field: string | null, message: string): void {
    this.problems.push({ file: this.file, field, message });
  }

  note(field: string | null, message: string): void {
    this.notes.push({ file: this.file, field, message });
  }

  private expected(field: string, what: string, value: unknown, secret = false): void {
    this.problem(field, `expected ${what}, found ${shown(value, secret)}`);
  }

  object(value: unknown, field: string): JsonObject {
    if (isObject(value)) return value;
    this.expected(field, 'an object', value);
    return {};
  }

  array(value: unknown, field: string): unknown[] {
    if (Array.isArray(value)) return value;
    this.expected(field, 'a list', value);
    return [];
  }

  string(value: unknown, field: string, options: { secret?: boolean } = {}): string {
    if (typeof value === 'string' && value !== '') return value;
    this.expected(field, 'a non-empty string', value, options.secret);
    return '';
  }

  nullableString(value: unknown, field: string): string | null {
    if (value === null || typeof value === 'string') return value;
    this.expected(field, 'a string or null', value);
    return null;
  }

  /** A key Home Assistant reads with `dict.get`: absent reads as null. */
  optionalString(value: unknown, field: string): string | null {
    return value === undefined ? null : this.nullableString(value, field);
  }

  boolean(value: unknown, field: string): boolean {
    if (typeof value === 'boolean') return value;
    this.expected(field, 'true or false', value);
    return false;
  }

  number(value: unknown, field: string): number {
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    this.expected(field, 'a number', value);
    return 0;
  }

  nullableNumber(value: unknown, field: string): number | null {
    return value === null || value === undefined ? null : this.number(value, field);
  }

  stringList(value: unknown, field: string): string[] {
    return this.array(value, field).map((item, index) => this.string(item, fieldAt(field, index)));
  }

  /** An object whose values are all strings (a credential's provider data). */
  stringMap(value: unknown, field: string): Record<string, string> {
    const entries = Object.entries(this.object(value, field));
    return Object.fromEntries(entries.map(([key, item]) => [key, typeof item === 'string' ? item : this.stringOr(item, fieldAt(field, key))]));
  }

  private stringOr(value: unknown, field: string): string {
    this.expected(field, 'a string', value);
    return '';
  }
}
