/**
 * `hass-auth secrets seal`: seals again, with the first of the keys given (SECRETS_KEY, or the
 * embedded store's key file), every stored secret not sealed with it (types.ts `Store.sealSecrets`).
 * A store does this by itself at its first start with a new first key; this is for what instances
 * still running with the old order (or an older version, in the clear) wrote during a rolling
 * restart, before the old key is dropped (docs/deployment.md, "Rotating the sealing key").
 */
import type { CliCommand } from './command.js';

export const sealSecretsCommand: CliCommand = {
  words: ['secrets', 'seal'],
  args: [],
  summary: 'seal every stored secret with the first key (after a rolling key rotation)',
  async run(context) {
    const { keyId, resealed, unreadable } = await context.store.sealSecrets();
    context.out(`Sealed again with key ${keyId}: ${resealed}`);
    if (unreadable > 0) context.out(`Opened by no key given, left unreadable: ${unreadable}`);
  },
};
