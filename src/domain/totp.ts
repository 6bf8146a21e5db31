/**
 * TOTP as Home Assistant's `totp` MFA module uses it (homeassistant/auth/mfa_modules/totp.py, pyotp
 * 2.8; ha-auth-spec §14.5): RFC 6238 with pyotp's defaults, HMAC-SHA-1, 6 digits, 30-second steps.
 *
 * - Secrets are `pyotp.random_base32()`: 32 base32 characters (160 bits).
 * - A login code is checked with `valid_window=1` (the previous, current and next step), a setup code
 *   against the current step only. `matchingStep` says which step matched, for the replay guard.
 * - The provisioning URL and the QR code are what the setup form shows: pyotp's `provisioning_uri`
 *   with issuer "Home Assistant", and an SVG (PyQRCode `svg(scale=4)`, error correction H, no XML
 *   prolog, no newlines).
 *
 * Library: otpauth (RFC 4226/6238, timing-safe comparison) and qrcode.
 */
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

export const TOTP_PERIOD_S = 30;
export const TOTP_ISSUER = 'Home Assistant';
/** `DUMMY_SECRET`: checked when a user has no secret, so that the check costs the same (totp.py). */
export const DUMMY_TOTP_SECRET = 'FPPTH34D4E3MI2HG';

/** `pyotp.random_base32()`: 20 random bytes, 32 base32 characters. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The RFC 6238 time step (`T`) at `now` (epoch ms). */
export function timeStep(now: number): number {
  return Math.floor(now / 1000 / TOTP_PERIOD_S);
}

/**
 * The time step whose code `code` is, within `window` steps of `now`, or null. pyotp compares the
 * NFKC-normalized strings (`utils.strings_equal`), so full-width digits count as digits.
 */
export function matchingStep(secret: string, code: string, now: number, window: number): number | null {
  let key: Secret;
  try {
    key = Secret.fromBase32(secret);
  } catch {
    return null;
  }
  const delta = TOTP.validate({ token: code.normalize('NFKC'), secret: key, timestamp: now, period: TOTP_PERIOD_S, window });
  return delta === null ? null : timeStep(now) + delta;
}

/** The code of `secret` at `now`: what an authenticator app shows. */
export function totpCode(secret: string, now: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: now, period: TOTP_PERIOD_S });
}

const ALWAYS_SAFE = /^[A-Za-z0-9_.\-~]$/;

/** Python's `urllib.parse.quote(text, safe)`: UTF-8 bytes, unreserved characters and `safe` kept. */
export function pythonQuote(text: string, safe = '/'): string {
  let quoted = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    quoted += byte < 0x80 && (ALWAYS_SAFE.test(char) || safe.includes(char)) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return quoted;
}

/**
 * `pyotp.TOTP(secret).provisioning_uri(name, issuer_name="Home Assistant")`:
 * `otpauth://totp/Home%20Assistant:<name>?secret=<secret>&issuer=Home%20Assistant`. Home Assistant
 * passes `str(user.name)`, so a user without a name is "None".
 */
export function provisioningUri(secret: string, userName: string | null): string {
  const label = `${pythonQuote(TOTP_ISSUER)}:${pythonQuote(userName ?? 'None')}`;
  // `urlencode` then `+` → `%20`: the same as quoting with nothing safe.
  return `otpauth://totp/${label}?secret=${pythonQuote(secret, '')}&issuer=${pythonQuote(TOTP_ISSUER, '')}`;
}

/** `_generate_qr_code`: the URL as an SVG QR code, 4 px per module with a 4-module quiet zone. */
export async function qrCodeSvg(text: string): Promise<string> {
  const options = { errorCorrectionLevel: 'H', margin: 4 } as const;
  const size = QRCode.create(text, options).modules.size;
  const svg = await QRCode.toString(text, { ...options, type: 'svg', width: (size + 2 * options.margin) * 4 });
  return svg.replaceAll('\n', '');
}
