/** The WebSocket answers the pages read (ha-auth-spec §12), as the commands in src/ws/commands/ send them. */

/** `auth/current_user`. */
export interface CurrentUser {
  id: string;
  name: string | null;
  is_owner: boolean;
  is_admin: boolean;
  credentials: Array<{ auth_provider_type: string; auth_provider_id: string | null }>;
  mfa_modules: Array<{ id: string; name: string; enabled: boolean }>;
}

/** One entry of `auth/refresh_tokens`. */
export interface RefreshTokenInfo {
  id: string;
  client_id: string | null;
  client_name: string | null;
  created_at: string;
  last_used_at: string | null;
  last_used_ip: string | null;
  is_current: boolean;
  type: 'normal' | 'long_lived_access_token' | 'system';
}

/** A step of `auth/setup_mfa` (a data-entry flow result). */
export interface MfaSetupStep {
  type: 'form' | 'create_entry' | 'abort';
  flow_id: string;
  errors?: Record<string, string> | null;
  description_placeholders?: { code?: string; url?: string; qr_code?: string } | null;
  reason?: string;
}

/** `_user_info` of `config/auth/*`. */
export interface UserInfo {
  id: string;
  username: string | null;
  name: string | null;
  is_owner: boolean;
  is_active: boolean;
  local_only: boolean;
  system_generated: boolean;
  group_ids: string[];
  credentials: Array<{ type: string }>;
}
