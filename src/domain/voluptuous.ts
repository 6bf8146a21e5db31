/**
 * Request validation that fails with Home Assistant's words. Home Assistant validates input with
 * voluptuous and shows its errors to clients in two ways:
 * - HTTP bodies: `str(vol.Invalid)`, the first error (`Message format incorrect: …`,
 *   homeassistant/components/http/data_validator.py);
 * - WebSocket messages: `humanize_error(msg, err)`, every error, sorted, one per line, each followed
 *   by `. Got <repr of the offending value>` (websocket_api/connection.py, `invalid_format`).
 * The messages are voluptuous' own: `required key not provided @ data['x']`,
 * `expected str for dictionary value @ data['x']`, `extra keys not allowed @ data['x']`. Like
 * voluptuous, exclusion groups are checked first, then the keys of the data in their order, then
 * the missing ones.
 */
import { pythonRepr } from './python-repr.js';

export type FieldType = 'str' | 'int' | 'bool' | 'handler' | 'string' | 'str_list' | 'int_map' | 'literal' | 'any';

export interface Field {
  /**
   * `str`, `int`, `bool` are Python's types; `string` is `cv.string` (coerces numbers and booleans
   * to text); `str_list` is `[str]`; `int_map` is `{str: int}`; `literal` must equal `value`;
   * `handler` is a login-flow provider key; `any` takes every value.
   */
  type: FieldType;
  required?: boolean;
  default?: unknown;
  /** `vol.Range(min=…, max=…)` on an `int`. */
  min?: number;
  max?: number;
  /** `vol.Exclusive(key, group)`: at most one key of a group may be present. */
  exclusive?: string;
  /** The only value a `literal` field takes. */
  value?: unknown;
}

export interface Schema {
  fields: Record<string, Field>;
  /** `vol.ALLOW_EXTRA`: unknown keys pass through; otherwise they are refused. */
  allowExtra?: boolean;
}

/** A path step: a key, a list index, or an exclusion group (voluptuous' `VirtualPathComponent`, shown as `<group>`). */
export type PathStep = string | number | { group: string };

/** One voluptuous `Invalid`: its message (with ` for dictionary value` where voluptuous adds it) and path. */
export interface Invalid {
  message: string;
  path: PathStep[];
}

export type Validated = { ok: true; value: Record<string, unknown> } | { ok: false; message: string; errors: Invalid[] };

const DICT_VALUE = ' for dictionary value';

/** `str(vol.Invalid)`: the message, then ` @ data['key'][0]` when it has a path. */
export function formatInvalid({ message, path }: Invalid): string {
  if (path.length === 0) return message;
  const steps = path.map((step) => (typeof step === 'object' ? `<${step.group}>` : pythonRepr(step)));
  return `${message} @ data[${steps.join('][')}]`;
}

function itemAt(data: unknown, path: PathStep[]): unknown {
  let item = data;
  for (const step of path) {
    if (typeof step === 'object' || typeof item !== 'object' || item === null) return null;
    item = (item as Record<string | number, unknown>)[step];
  }
  return item;
}

/** voluptuous' `humanize_error(data, MultipleInvalid)`: every error with the value it refused, sorted. */
export function humanizeError(data: unknown, errors: Invalid[]): string {
  const lines = errors.map((error) => {
    const got = pythonRepr(itemAt(data, error.path));
    return `${formatInvalid(error)}. Got ${got.length > 500 ? `${got.slice(0, 497)}...` : got}`;
  });
  return lines.sort().join('\n');
}

/** voluptuous' `_compile_scalar` on a type: `isinstance`. JSON booleans are not integers here, although Python's `bool` subclasses `int`. */
function checkValue(field: Field, value: unknown, key: string): Invalid | null {
  const atKey = (message: string, path: PathStep[] = [key]): Invalid => ({ message, path });
  switch (field.type) {
    case 'str':
      return typeof value === 'string' ? null : atKey(`expected str${DICT_VALUE}`);
    case 'int':
      if (!Number.isInteger(value)) return atKey(`expected int${DICT_VALUE}`);
      return checkRange(field, value as number, key);
    case 'bool':
      return typeof value === 'boolean' ? null : atKey(`expected bool${DICT_VALUE}`);
    case 'string':
      return checkCvString(value, key);
    case 'str_list':
      if (!Array.isArray(value)) return atKey(`expected a list${DICT_VALUE}`);
      return checkItems(value, key, (item) => typeof item === 'string', 'expected str');
    case 'int_map':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return atKey(`expected a dictionary${DICT_VALUE}`);
      for (const [name, item] of Object.entries(value)) {
        if (!Number.isInteger(item)) return atKey(`expected int${DICT_VALUE}`, [key, name]);
      }
      return null;
    case 'literal':
      return value === field.value ? null : atKey(`not a valid value${DICT_VALUE}`);
    case 'handler':
      return checkHandler(value, key);
    case 'any':
      return null;
  }
}

function checkRange(field: Field, value: number, key: string): Invalid | null {
  if (field.min !== undefined && value < field.min) return { message: `value must be at least ${field.min}${DICT_VALUE}`, path: [key] };
  if (field.max !== undefined && value > field.max) return { message: `value must be at most ${field.max}${DICT_VALUE}`, path: [key] };
  return null;
}

/** `cv.string` (homeassistant/helpers/config_validation.py): None and containers are refused, scalars become text. */
function checkCvString(value: unknown, key: string): Invalid | null {
  if (value === null) return { message: `string value is None${DICT_VALUE}`, path: [key] };
  if (typeof value === 'object') return { message: `value should be a string${DICT_VALUE}`, path: [key] };
  return null;
}

/** `cv.string`'s coercion: Python's `str()` of a JSON scalar. */
function coerceCvString(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return typeof value === 'string' ? value : pythonRepr(value);
}

function checkItems(items: unknown[], key: string, ok: (item: unknown) => boolean, message: string): Invalid | null {
  const bad = items.findIndex((item) => !ok(item));
  return bad < 0 ? null : { message, path: [key, bad] };
}

/** `vol.All([vol.Any(str, None)], vol.Length(min=2, max=2), vol.Coerce(tuple))`: a provider key `[type, id]`. */
function checkHandler(value: unknown, key: string): Invalid | null {
  if (!Array.isArray(value)) return { message: `expected a list${DICT_VALUE}`, path: [key] };
  const bad = checkItems(value, key, (item) => item === null || typeof item === 'string', 'expected str');
  if (bad !== null) return bad;
  if (value.length < 2) return { message: `length of value must be at least 2${DICT_VALUE}`, path: [key] };
  if (value.length > 2) return { message: `length of value must be at most 2${DICT_VALUE}`, path: [key] };
  return null;
}

function checkExclusions(schema: Schema, data: Record<string, unknown>): Invalid[] {
  const seen = new Set<string>();
  const reported = new Set<string>();
  const errors: Invalid[] = [];
  for (const [key, field] of Object.entries(schema.fields)) {
    const group = field.exclusive;
    if (group === undefined || !Object.hasOwn(data, key) || reported.has(group)) continue;
    if (seen.has(group)) {
      errors.push({ message: `two or more values in the same group of exclusion '${group}'`, path: [{ group }] });
      reported.add(group);
    }
    seen.add(group);
  }
  return errors;
}

export function validate(schema: Schema, data: unknown): Validated {
  const fail = (errors: Invalid[]): Validated => ({ ok: false, message: formatInvalid(errors[0] as Invalid), errors });
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return fail([{ message: 'expected a dictionary', path: [] }]);
  const input = data as Record<string, unknown>;
  const exclusions = checkExclusions(schema, input);
  if (exclusions.length > 0) return fail(exclusions);
  const errors: Invalid[] = [];
  // No prototype: keys such as `__proto__` or `constructor` are data here, never inherited members.
  const value = Object.create(null) as Record<string, unknown>;
  for (const [key, item] of Object.entries(input)) {
    const field = Object.hasOwn(schema.fields, key) ? schema.fields[key] : undefined;
    if (field === undefined) {
      if (schema.allowExtra) value[key] = item;
      else errors.push({ message: 'extra keys not allowed', path: [key] });
      continue;
    }
    const problem = checkValue(field, item, key);
    if (problem !== null) errors.push(problem);
    else value[key] = field.type === 'string' ? coerceCvString(item) : item;
  }
  for (const [key, field] of Object.entries(schema.fields)) {
    if (Object.hasOwn(input, key)) continue;
    if (field.required) errors.push({ message: 'required key not provided', path: [key] });
    else if (field.default !== undefined) value[key] = field.default;
  }
  return errors.length > 0 ? fail(errors) : { ok: true, value };
}
