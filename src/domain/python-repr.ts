/**
 * Python's `repr()` of a JSON value, as Home Assistant shows a rejected value to WebSocket clients:
 * voluptuous' `humanize_error` ends each message with `. Got <repr of the value>`
 * (`expected int for dictionary value @ data['lifespan']. Got 'ten'`), and the path of every
 * message names keys by their repr (`@ data['lifespan']`).
 *
 * JSON does not tell `1` from `1.0` once parsed, so a whole number prints as Python's int would.
 */

/** Quotes as Python does: single quotes, unless the text has a single quote and no double quote. */
export function pythonStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) out += escapeChar(char, quote);
  return out + quote;
}

const NAMED_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Python escapes what `str.isprintable()` refuses: control, format, surrogate, unassigned, separators but the space. */
const NOT_PRINTABLE = /^(?:\p{C}|\p{Z})$/u;

function escapeChar(char: string, quote: string): string {
  if (char === quote) return `\\${char}`;
  const named = NAMED_ESCAPES[char];
  if (named !== undefined) return named;
  if (char === ' ' || !NOT_PRINTABLE.test(char)) return char;
  const code = char.codePointAt(0) ?? 0;
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\U${code.toString(16).padStart(8, '0')}`;
}

/** Python's float repr: the shortest digits, in exponent form below 1e-4 and from 1e16, with a two-digit exponent. */
function pythonNumberRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (Number.isInteger(value)) return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  if (exponent >= -4 && exponent < 16) return String(value);
  return value.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
}

export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return pythonNumberRepr(value);
  if (typeof value === 'string') return pythonStringRepr(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const items = Object.entries(value).map(([key, item]) => `${pythonStringRepr(key)}: ${pythonRepr(item)}`);
    return `{${items.join(', ')}}`;
  }
  // Parsed JSON holds nothing else.
  return 'None';
}
