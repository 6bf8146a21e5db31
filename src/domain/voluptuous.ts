/**
 * Request validation that fails with Home Assistant's words. Home Assistant validates bodies with
 * voluptuous and shows `str(vol.Invalid)` to the client (`Message format incorrect: …`,
 * homeassistant/components/http/data_validator.py; `invalid_format` over the WebSocket), so the
 * messages are voluptuous' own: `required key not provided @ data['x']`,
 * `expected str for dictionary value @ data['x']`, `extra keys not allowed @ data['x']`.
 * Like voluptuous, the keys of the data are checked in their order first, then the missing ones;
 * the first problem is the message (`MultipleInvalid.__str__` shows the first error).
 */

export type FieldType = 'str' | 'int' | 'bool' | 'handler';

export interface Field {
  type: FieldType;
  required?: boolean;
  default?: unknown;
}

export interface Schema {
  fields: Record<string, Field>;
  /** `vol.ALLOW_EXTRA`: unknown keys pass through; otherwise they are refused. */
  allowExtra?: boolean;
}

export type Validated = { ok: true; value: Record<string, unknown> } | { ok: false; message: string };

const at = (key: string) => `@ data['${key}']`;

/** JSON booleans are not integers here, although Python's `bool` subclasses `int`: a client sending `true` for a count has a bug. */
function checkType(type: FieldType, value: unknown, key: string): string | null {
  switch (type) {
    case 'str':
      return typeof value === 'string' ? null : `expected str for dictionary value ${at(key)}`;
    case 'int':
      return Number.isInteger(value) ? null : `expected int for dictionary value ${at(key)}`;
    case 'bool':
      return typeof value === 'boolean' ? null : `expected bool for dictionary value ${at(key)}`;
    case 'handler':
      return checkHandler(value, key);
  }
}

/** `vol.All([vol.Any(str, None)], vol.Length(min=2, max=2), vol.Coerce(tuple))`: a provider key `[type, id]`. */
function checkHandler(value: unknown, key: string): string | null {
  if (!Array.isArray(value)) return `expected a list for dictionary value ${at(key)}`;
  const bad = value.findIndex((item) => item !== null && typeof item !== 'string');
  if (bad >= 0) return `expected str ${at(key)}[${bad}]`;
  if (value.length < 2) return `length of value must be at least 2 for dictionary value ${at(key)}`;
  if (value.length > 2) return `length of value must be at most 2 for dictionary value ${at(key)}`;
  return null;
}

export function validate(schema: Schema, data: unknown): Validated {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { ok: false, message: 'expected a dictionary' };
  // No prototype: keys such as `__proto__` or `constructor` are data here, never inherited members.
  const value = Object.create(null) as Record<string, unknown>;
  for (const [key, item] of Object.entries(data)) {
    const field = Object.hasOwn(schema.fields, key) ? schema.fields[key] : undefined;
    if (field === undefined) {
      if (!schema.allowExtra) return { ok: false, message: `extra keys not allowed ${at(key)}` };
      value[key] = item;
      continue;
    }
    const problem = checkType(field.type, item, key);
    if (problem !== null) return { ok: false, message: problem };
    value[key] = item;
  }
  for (const [key, field] of Object.entries(schema.fields)) {
    if (key in value) continue;
    if (field.required) return { ok: false, message: `required key not provided ${at(key)}` };
    if (field.default !== undefined) value[key] = field.default;
  }
  return { ok: true, value };
}
