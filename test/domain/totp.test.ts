/** TOTP as Home Assistant's `totp` module computes it (pyotp 2.8 and PyQRCode; ha-auth-spec §14.5). */
import { describe, expect, it } from 'vitest';
import {
  DUMMY_TOTP_SECRET,
  matchingStep,
  newTotpSecret,
  provisioningUri,
  pythonQuote,
  qrCodeSvg,
  timeStep,
  totpCode,
} from '../../src/domain/totp.js';

/** RFC 6238 Appendix B's SHA-1 seed, "12345678901234567890", in base32. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('TOTP codes', () => {
  it.each([
    [59, '287082'],
    [1111111109, '081804'],
    [1234567890, '005924'],
    [2000000000, '279037'],
  ])('match RFC 6238 Appendix B at T = %i s (last 6 digits)', (seconds, code) => {
    expect(totpCode(RFC_SECRET, seconds * 1000)).toBe(code);
  });

  it('finds the step of a code within the window, and nothing outside it', () => {
    const now = 1_700_000_000_000;
    const step = timeStep(now);
    for (const delta of [-1, 0, 1]) expect(matchingStep(RFC_SECRET, totpCode(RFC_SECRET, now + delta * 30_000), now, 1)).toBe(step + delta);
    expect(matchingStep(RFC_SECRET, totpCode(RFC_SECRET, now - 60_000), now, 1)).toBeNull();
    expect(matchingStep(RFC_SECRET, totpCode(RFC_SECRET, now + 30_000), now, 0)).toBeNull();
    expect(matchingStep(RFC_SECRET, totpCode(RFC_SECRET, now), now, 0)).toBe(step);
  });

  it('compares NFKC-normalized text as pyotp does, and refuses other lengths', () => {
    const now = 59_000;
    expect(matchingStep(RFC_SECRET, '２８７０８２', now, 0)).toBe(1);
    expect(matchingStep(RFC_SECRET, '28708', now, 0)).toBeNull();
    expect(matchingStep(RFC_SECRET, ' 287082', now, 0)).toBeNull();
    expect(matchingStep(RFC_SECRET, '', now, 0)).toBeNull();
  });

  it('treats a secret that is not base32 as matching nothing', () => {
    expect(matchingStep('not base32!', '123456', 0, 1)).toBeNull();
  });

  it('draws 32-character base32 secrets, and the dummy secret is usable', () => {
    const secrets = new Set(Array.from({ length: 20 }, newTotpSecret));
    expect(secrets.size).toBe(20);
    for (const secret of secrets) expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(totpCode(DUMMY_TOTP_SECRET, 0)).toMatch(/^\d{6}$/);
  });
});

describe('the setup form pieces', () => {
  it('quotes like urllib.parse.quote', () => {
    expect(pythonQuote('Paulus Schoutsen')).toBe('Paulus%20Schoutsen');
    expect(pythonQuote('a/b:c@d+e&f~g_h.i-j')).toBe('a/b%3Ac%40d%2Be%26f~g_h.i-j');
    expect(pythonQuote('Zoë 🏠')).toBe('Zo%C3%AB%20%F0%9F%8F%A0');
    expect(pythonQuote("it's (ok)!*")).toBe('it%27s%20%28ok%29%21%2A');
    expect(pythonQuote('a/b', '')).toBe('a%2Fb');
  });

  it('builds pyotp\'s provisioning URI with issuer Home Assistant; a user without a name is "None"', () => {
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    expect(provisioningUri(secret, 'Paulus Schoutsen')).toBe(
      `otpauth://totp/Home%20Assistant:Paulus%20Schoutsen?secret=${secret}&issuer=Home%20Assistant`,
    );
    expect(provisioningUri(secret, null)).toBe(`otpauth://totp/Home%20Assistant:None?secret=${secret}&issuer=Home%20Assistant`);
  });

  it('draws the QR code as one line of SVG markup without an XML prolog', async () => {
    const svg = await qrCodeSvg('otpauth://totp/Home%20Assistant:Paulus?secret=JBSWY3DPEHPK3PXP&issuer=Home%20Assistant');
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(svg).not.toContain('\n');
    expect(svg).not.toContain('<?xml');
    // 4 px per module with a 4-module quiet zone: the width is a multiple of 4.
    expect(Number(/width="(\d+)"/.exec(svg)?.[1]) % 4).toBe(0);
  });
});
