/**
 * Moving from Home Assistant (`hass-auth import-ha`): read its configuration directory
 * (read-config.ts), plan against the store (import-plan.ts and the plan-*.ts files), apply.
 * The steps are separate so that the command line can show the plan before it writes.
 */
import type { Store } from '../../stores/types.js';
import type { HomeAssistantData, ReadResult } from './ha-records.js';
import { applyPlan, type ImportPlan, type Resolution } from './import-plan.js';
import { planCredentials, planPasswords } from './plan-logins.js';
import { planRefreshTokens } from './plan-tokens.js';
import { planOnboarding, planTotpSecrets, planUsers } from './plan-users.js';
import { readHomeAssistantConfig } from './read-config.js';

export interface PlanOptions {
  resolution: Resolution;
  /** Epoch ms: the creation time of the users it adds. */
  now: number;
}

/** The steps in the order they write (see import-plan.ts for why this order). */
export async function planImport(store: Store, data: HomeAssistantData, { resolution, now }: PlanOptions): Promise<ImportPlan> {
  const context = { store, resolution, now };
  const steps = [
    ...(await planOnboarding(context, data.onboarded)),
    ...(await planUsers(context, data.users)),
    ...(await planTotpSecrets(context, data.totpSecrets)),
    ...(await planCredentials(context, data.credentials)),
    ...(await planPasswords(context, data.passwords)),
    ...(await planRefreshTokens(context, data.refreshTokens)),
  ];
  return { storeKind: store.kind, resolution, steps };
}

export type ImportOutcome =
  | { kind: 'bad input'; read: Extract<ReadResult, { ok: false }> }
  | { kind: 'planned'; data: HomeAssistantData; plan: ImportPlan; written: number | null };

/** Reads, plans and, unless `dryRun`, applies; throws what `applyPlan` throws (conflicts left unresolved, a race). */
export async function importFromHomeAssistant(
  store: Store,
  configDir: string,
  options: PlanOptions & { dryRun?: boolean },
): Promise<ImportOutcome> {
  const read = readHomeAssistantConfig(configDir);
  if (!read.ok) return { kind: 'bad input', read };
  const plan = await planImport(store, read.data, options);
  const written = options.dryRun === true ? null : await applyPlan(plan);
  return { kind: 'planned', data: read.data, plan, written };
}

export { readHomeAssistantConfig };
export type { ImportPlan, Resolution };
