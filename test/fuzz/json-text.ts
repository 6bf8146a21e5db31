/**
 * Arbitraries of text that reaches a parser: strings (unicode, lone surrogates, huge), JSON text
 * that JSON.stringify cannot write (1e309, -0, duplicate keys, deep nesting, lone surrogate escapes),
 * and values of the wrong type for a field. What the parsers of the service meet from real clients
 * and from anyone else.
 */
import fc from 'fast-check';

/** Characters parsers and normalizers trip on: lone surrogates, NUL, BOM, zero-width, RTL, combining, astral. */
const TRICKY = ['\ud800', '\udc00', '\udbff\udfff', '\u0000', '\ufeff', '\u200b', '\u202e', 'e\u0301', '💥', 'ß', 'İ', '\r\n', '%', '%00', '%zz', '\\', '"', "'", '<', '&', '=', '+', '/', '..', ' '];

export const trickyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...TRICKY), { maxLength: 6 }).map((parts) => parts.join('')) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom(10_000, 70_000).map((n) => 'x'.repeat(n)) },
);

/** Numbers as JSON text, with the ones JavaScript reads oddly: out of range, negative zero, past 2^53. */
export const numberText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('1e309', '-1e309', '-0', '0', '1e-400', '9007199254740993', '123456789012345678901234567890', '-1', '0.5', '1E2', '365001', '-2147483649'),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
);

/** A JSON string literal; sometimes with a raw lone-surrogate escape that JSON.stringify would never write. */
export const stringText: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: trickyString.map((s) => JSON.stringify(s)) },
  { weight: 1, arbitrary: fc.constantFrom('"\\ud800"', '"a\\udc00b"', '"\\u0000"', '"\\uDBFF"') },
);

/** An object's text from its entries, keys as given (so duplicates stay duplicates, the last one winning in JSON.parse). */
export const objectText = (entries: Array<[string, string]>) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;

/** Any JSON text, nested up to a few levels, with odd numbers and strings. */
export const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('null', 'true', 'false'),
    numberText,
    stringText,
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    fc.array(fc.tuple(fc.oneof(trickyString, fc.constantFrom('__proto__', 'constructor', 'type', 'id')), tie('value')), { maxLength: 4 }).map(objectText),
  ),
})).value;

/** Nesting deeper than any parser should have to follow by recursion. */
export const deepText: fc.Arbitrary<string> = fc.integer({ min: 500, max: 5000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`);
