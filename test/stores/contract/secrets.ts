/** Contract: deployment-wide secrets (types.ts `SecretStore`): the first value written under a name stays. */
import { describe, expect, it } from 'vitest';
import { newId, type ContractContext } from './context.js';

export function describeSecrets(context: ContractContext): void {
  const secrets = () => context.store.secrets;

  describe('secrets', () => {
    it('keeps the first candidate and returns it to every later caller', async () => {
      const name = `secret-${newId()}`;
      expect(await secrets().getOrCreate(name, 'first')).toBe('first');
      expect(await secrets().getOrCreate(name, 'second')).toBe('first');
    });

    it('gives racing creators one and the same secret', async () => {
      const name = `secret-${newId()}`;
      const results = await Promise.all(['a', 'b', 'c', 'd'].map((candidate) => secrets().getOrCreate(name, candidate)));
      expect(new Set(results).size).toBe(1);
    });

    it('keeps names apart', async () => {
      const [one, two] = [`secret-${newId()}`, `secret-${newId()}`];
      await secrets().getOrCreate(one, 'one');
      expect(await secrets().getOrCreate(two, 'two')).toBe('two');
    });
  });
}
