/**
 * Home Assistant's records as read from its files, already in this service's shapes: what the import
 * compares with the store and writes. Reading applies the rules Home Assistant applies when it loads
 * the same files (ha-auth-spec §17), so that what is imported is what Home Assistant would run with.
 */
import type { RefreshTokenInput } from '../../../machines/refresh-token.js';
import type { Credential, PasswordEntry, User } from '../../domain/models.js';
import type { InputNote, InputProblem } from './input-problems.js';

/** A user without `createdAt`, which Home Assistant does not keep (the import sets it). */
export type ImportedUser = Omit<User, 'createdAt'>;

export interface ImportedRefreshToken {
  /** Home Assistant's plaintext `token`: only its SHA-256 is stored here. */
  secret: string;
  /** The machine's input, with Home Assistant's last use and expiry in `imported`. */
  input: RefreshTokenInput & { imported: NonNullable<RefreshTokenInput['imported']> };
}

export interface ImportedTotpSecret {
  userId: string;
  secret: string;
}

/** What each file held, for the report. */
export interface FileSummary {
  file: string;
  /** `1.1`; null when the file is absent. */
  version: string | null;
  /** e.g. `5 users, 4 credentials, 4 refresh tokens`, or why the file is not needed. */
  contents: string;
}

export interface HomeAssistantData {
  users: ImportedUser[];
  credentials: Credential[];
  passwords: PasswordEntry[];
  totpSecrets: ImportedTotpSecret[];
  refreshTokens: ImportedRefreshToken[];
  /** `.storage/onboarding` lists the `user` step as done. */
  onboarded: boolean;
  files: FileSummary[];
  /** What was left out the way Home Assistant leaves it out (a token without `jwt_key`, …). */
  notes: InputNote[];
}

/** Every problem of every file, or the data when there is none. */
export type ReadResult = { ok: true; data: HomeAssistantData } | { ok: false; problems: InputProblem[]; files: FileSummary[] };

/** The module id whose secrets `.storage/auth_module.totp` holds (Home Assistant's default `totp`). */
export const TOTP_MODULE_ID = 'totp';
